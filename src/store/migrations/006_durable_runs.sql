-- Durable run execution (issue 8). Runs execute as jobs of pg-boss (its own schema, `<schema>_jobs`); these
-- columns are Warden's side of it: the lease that says which process owns a run in progress, the input a run
-- starts from, and what double-texting, webhooks and recovery need.

-- queued: waits behind another run of its thread (multitask_strategy enqueue/interrupt/rollback).
-- interrupted / rolled_back: stopped by a newer run on the thread (double-texting).
ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check CHECK (status IN (
  'queued', 'running', 'waiting_approval', 'completed', 'denied', 'escalated', 'failed', 'cancelled', 'interrupted', 'rolled_back'));

ALTER TABLE runs
  -- The graph input of the run's first execution (the envelope as the graph takes it). Kept for recovery: a crash
  -- before the first checkpoint must be able to start the run again.
  ADD COLUMN input              jsonb,
  -- Hash of the request that created the run: a retry with the same idempotency key must be the same request.
  ADD COLUMN input_hash         text,
  ADD COLUMN mode               text NOT NULL DEFAULT 'sync' CHECK (mode IN ('sync', 'background')),
  -- Executions since the run was last stable (each lease claim counts one, a crash included; reset when it waits
  -- for an approval) and the bound after which the run fails.
  ADD COLUMN attempts           integer NOT NULL DEFAULT 0,
  ADD COLUMN max_attempts       integer NOT NULL DEFAULT 5,
  -- The lease: who executes the run now and until when. lease_token grows with every claim (a fencing token): a
  -- process that lost its lease cannot write the run's outcome. An unowned run with lease_expires_at in the future
  -- waits for a retry (backoff).
  ADD COLUMN lease_owner        text,
  ADD COLUMN lease_token        bigint NOT NULL DEFAULT 0,
  ADD COLUMN lease_expires_at   timestamptz,
  -- A stop asked of the run while it executes; its executor honours it at the next step boundary.
  ADD COLUMN stop_requested     text CHECK (stop_requested IN ('cancel', 'interrupt', 'rollback')),
  -- The thread's latest root checkpoint before this run's first step: what a rollback returns the thread to.
  ADD COLUMN base_checkpoint_id text,
  -- Where run events are POSTed (the run's own URL, else the tenant's default).
  ADD COLUMN webhook            text,
  -- Why policy denied the run ({rule, reason, policy}), shown to the requester and the approver.
  ADD COLUMN denial             jsonb;

-- Runs created before this migration had no lease: they count as one attempt.
UPDATE runs SET attempts = 1;

-- One run per idempotency key. Keys reused before this migration (a retry after the old in-flight window) keep
-- their oldest run.
UPDATE runs r SET idempotency_key = NULL
WHERE r.idempotency_key IS NOT NULL AND EXISTS (
  SELECT 1 FROM runs o WHERE o.tenant_id = r.tenant_id AND o.idempotency_key = r.idempotency_key
    AND (o.created_at, o.run_id) < (r.created_at, r.run_id));
CREATE UNIQUE INDEX runs_idempotency_key ON runs (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The sweep that finds runs whose owner died (or that wait for a job) reads only runs in progress.
CREATE INDEX runs_in_progress_idx ON runs (lease_expires_at) WHERE status IN ('queued', 'running');
-- Heartbeats renew every lease of one process in one statement.
CREATE INDEX runs_lease_owner_idx ON runs (lease_owner) WHERE lease_owner IS NOT NULL;
-- GET /v1/runs pages newest first.
CREATE INDEX runs_listing_idx ON runs (tenant_id, created_at DESC, run_id DESC);

-- Per-tenant webhook settings: the default URL (optional) and the secret every delivery of the tenant is signed with.
CREATE TABLE webhook_endpoints (
  tenant_id   text PRIMARY KEY,
  url         text,
  secret      text NOT NULL,
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Schedules (POST /v1/schedules): a goal run on a cron schedule. last_tick_at is the last tick a run was started
-- for; the tick's run carries the idempotency key `schedule:<id>:<tick>`, so a tick runs at most once.
CREATE TABLE schedules (
  tenant_id     text NOT NULL,
  schedule_id   text NOT NULL,
  cron          text NOT NULL,
  timezone      text NOT NULL DEFAULT 'UTC',
  goal          text NOT NULL,
  release_id    text,
  context       jsonb,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_tick_at  timestamptz,
  PRIMARY KEY (tenant_id, schedule_id)
);
