import type { RunStatus } from "../contracts/run-status.js";
import type { Queryable } from "./db.js";

export type StopRequest = "cancel" | "interrupt" | "rollback";

export interface RunError {
  code: string;
  message: string;
}

export interface RunDenial {
  rule: string;
  reason: string;
  policy?: string;
}

export interface RunRow {
  tenant_id: string;
  run_id: string;
  thread_id: string;
  actor: string;
  release_id: string;
  route: string | null;
  status: RunStatus;
  answer: string | null;
  error: RunError | null;
  idempotency_key: string | null;
  input: Record<string, unknown> | null;
  input_hash: string | null;
  mode: "sync" | "background";
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  /** bigint: pg returns it as a string. */
  lease_token: string | number;
  lease_expires_at: Date | null;
  stop_requested: StopRequest | null;
  base_checkpoint_id: string | null;
  webhook: string | null;
  denial: RunDenial | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewRun {
  tenant_id: string;
  run_id: string;
  thread_id: string;
  actor: string;
  release_id: string;
  /** `running` claims the thread (the one-active-run index refuses a second); `queued` waits behind its active run. */
  status: "running" | "queued";
  input: Record<string, unknown>;
  input_hash: string;
  mode: "sync" | "background";
  max_attempts: number;
  idempotency_key?: string | undefined;
  webhook?: string | undefined;
}

/** A process that executes the run right away claims its lease in the statement that creates it. */
export interface LeaseClaim {
  owner: string;
  ttlMs: number;
  /** The checkpointer's thread id: the thread's latest root checkpoint is recorded as the rollback base. */
  checkpointThread: string;
}

/**
 * Inserts a run: unowned (attempts 0, no lease; a job's worker claims it), or, with `lease`, already claimed by the
 * process that will execute it (attempts 1, lease token 1). Returns the row, or undefined when the idempotency key
 * already names a run of the tenant. Throws the unique violation of `runs_one_active_per_thread` for a busy thread.
 */
export async function insertRun(db: Queryable, run: NewRun, lease?: LeaseClaim): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>(
    `INSERT INTO runs (tenant_id, run_id, thread_id, actor, release_id, status, idempotency_key, input, input_hash, mode, max_attempts, webhook,
                       lease_owner, lease_token, attempts, lease_expires_at, base_checkpoint_id)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12,
            $13::text, CASE WHEN $13::text IS NULL THEN 0 ELSE 1 END, CASE WHEN $13::text IS NULL THEN 0 ELSE 1 END,
            CASE WHEN $13::text IS NULL THEN NULL ELSE now() + make_interval(secs => $14::double precision) END,
            CASE WHEN $13::text IS NULL THEN NULL ELSE (SELECT max(c.checkpoint_id) FROM checkpoints c WHERE c.thread_id = $15 AND c.checkpoint_ns = '') END
     ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
     RETURNING *`,
    [
      run.tenant_id,
      run.run_id,
      run.thread_id,
      run.actor,
      run.release_id,
      run.status,
      run.idempotency_key ?? null,
      JSON.stringify(run.input),
      run.input_hash,
      run.mode,
      run.max_attempts,
      run.webhook ?? null,
      lease?.owner ?? null,
      (lease?.ttlMs ?? 0) / 1000,
      lease?.checkpointThread ?? null,
    ],
  );
  return rows[0];
}

export async function getRun(db: Queryable, tenant: string, runId: string): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>("SELECT * FROM runs WHERE tenant_id = $1 AND run_id = $2", [tenant, runId]);
  return rows[0];
}

export async function getRunByIdempotencyKey(db: Queryable, tenant: string, key: string): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>("SELECT * FROM runs WHERE tenant_id = $1 AND idempotency_key = $2", [tenant, key]);
  return rows[0];
}

/** The run that holds the thread (running or waiting for approval), if any. */
export async function activeRunOfThread(db: Queryable, tenant: string, threadId: string): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>(
    "SELECT * FROM runs WHERE tenant_id = $1 AND thread_id = $2 AND status IN ('running', 'waiting_approval') FOR UPDATE",
    [tenant, threadId],
  );
  return rows[0];
}

/** Asks a run in progress to stop at its next step boundary. */
export async function requestStop(db: Queryable, tenant: string, runId: string, stop: StopRequest): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE runs SET stop_requested = COALESCE(stop_requested, $3), updated_at = now()
     WHERE tenant_id = $1 AND run_id = $2 AND status IN ('queued', 'running')`,
    [tenant, runId, stop],
  );
  return rowCount === 1;
}

/**
 * Ends a run that no process executes (queued, not started, between two executions, or waiting for approval) with
 * `status`, only while that is still so. False when a process claimed it meanwhile: then ask it to stop instead.
 */
export async function endUnownedRun(
  db: Queryable,
  tenant: string,
  runId: string,
  status: "cancelled" | "interrupted" | "rolled_back",
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE runs SET status = $3, stop_requested = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
     WHERE tenant_id = $1 AND run_id = $2
       AND (status IN ('queued', 'waiting_approval') OR (status = 'running' AND (lease_owner IS NULL OR lease_expires_at < now())))`,
    [tenant, runId, status],
  );
  return rowCount === 1;
}

/** Puts a failed run back in progress (a person asked for it to be retried): a fresh set of attempts. */
export async function reopenFailedRun(db: Queryable, tenant: string, runId: string, lease?: LeaseClaim): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>(
    `UPDATE runs SET status = 'running', error = NULL, updated_at = now(),
            lease_owner = $3::text,
            lease_token = CASE WHEN $3::text IS NULL THEN lease_token ELSE lease_token + 1 END,
            attempts = CASE WHEN $3::text IS NULL THEN 0 ELSE 1 END,
            lease_expires_at = CASE WHEN $3::text IS NULL THEN NULL ELSE now() + make_interval(secs => $4::double precision) END
     WHERE tenant_id = $1 AND run_id = $2 AND status = 'failed'
     RETURNING *`,
    [tenant, runId, lease?.owner ?? null, (lease?.ttlMs ?? 0) / 1000],
  );
  return rows[0];
}

/**
 * Puts a run waiting for an approval back in progress (the approval was decided): unowned, for any worker's job to
 * claim, or, with `lease`, leased to the caller, who executes it at once (one more attempt). Undefined when the run
 * is not waiting (cancelled, interrupted meanwhile).
 */
export async function resumeWaitingRun(db: Queryable, tenant: string, runId: string, lease?: Pick<LeaseClaim, "owner" | "ttlMs">): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>(
    `UPDATE runs SET status = 'running', updated_at = now(),
              lease_owner = $3::text,
              lease_token = CASE WHEN $3::text IS NULL THEN lease_token ELSE lease_token + 1 END,
              attempts = CASE WHEN $3::text IS NULL THEN attempts ELSE attempts + 1 END,
              lease_expires_at = CASE WHEN $3::text IS NULL THEN NULL ELSE now() + make_interval(secs => $4::double precision) END
       WHERE tenant_id = $1 AND run_id = $2 AND status = 'waiting_approval' RETURNING *`,
    [tenant, runId, lease?.owner ?? null, (lease?.ttlMs ?? 0) / 1000],
  );
  return rows[0];
}
