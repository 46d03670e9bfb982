-- Warden's core tables. Every row carries tenant_id and every key starts with it (invariant 4).
-- A pack's tables come from the pack's own migrations (src/packs/<name>/migrations/), applied after these.

CREATE TABLE tenants (
  tenant_id   text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE runs (
  tenant_id       text NOT NULL,
  run_id          text NOT NULL,
  thread_id       text NOT NULL,
  actor           text NOT NULL,
  release_id      text NOT NULL,
  route           text,
  status          text NOT NULL CHECK (status IN ('running', 'completed', 'waiting_approval', 'denied', 'escalated', 'failed', 'cancelled')),
  answer          text,
  error           jsonb,
  idempotency_key text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, run_id)
);
CREATE INDEX runs_thread_idx ON runs (tenant_id, thread_id, created_at);
-- One active run per thread: a second start on a busy thread fails on this index instead of racing.
CREATE UNIQUE INDEX runs_one_active_per_thread ON runs (tenant_id, thread_id) WHERE status IN ('running', 'waiting_approval');

-- Trace events, appended in batches (never a growing list in graph state: invariant 5). Already redacted.
CREATE TABLE run_events (
  tenant_id  text NOT NULL,
  run_id     text NOT NULL,
  seq        integer NOT NULL,
  at         timestamptz NOT NULL,
  kind       text NOT NULL,
  event      jsonb NOT NULL,
  PRIMARY KEY (tenant_id, run_id, seq)
);

-- The effect ledger (invariant 2): one row per side-effecting tool call, keyed by (tenant, run, tool call).
CREATE TABLE tool_effects (
  tenant_id    text NOT NULL,
  effect_id    text NOT NULL,
  run_id       text NOT NULL,
  tool_call_id text NOT NULL,
  tool         text NOT NULL,
  args_hash    text NOT NULL,
  status       text NOT NULL CHECK (status IN ('started', 'completed', 'failed')),
  result       jsonb,
  error        jsonb,
  attempts     integer NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, effect_id),
  UNIQUE (tenant_id, run_id, tool_call_id)
);

CREATE TABLE approvals (
  tenant_id    text NOT NULL,
  approval_id  text NOT NULL,
  run_id       text NOT NULL,
  thread_id    text NOT NULL,
  tool_call_id text NOT NULL,
  tool         text NOT NULL,
  args         jsonb NOT NULL,
  args_hash    text NOT NULL,
  rule         text NOT NULL,
  reason       text NOT NULL,
  requested_by text NOT NULL,
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
  decided_by   text,
  comment      text,
  decided_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, approval_id),
  UNIQUE (tenant_id, run_id, tool_call_id)
);
CREATE INDEX approvals_status_idx ON approvals (tenant_id, status, created_at);
