import type { Queryable } from "./db.js";

export type RunStatus =
  | "queued"
  | "running"
  | "waiting_approval"
  | "completed"
  | "denied"
  | "escalated"
  | "failed"
  | "cancelled"
  | "interrupted"
  | "rolled_back";

/** Statuses a run does not leave by itself: a waiting run needs a person, the others are final. */
export const STABLE_STATUSES: readonly RunStatus[] = ["waiting_approval", "completed", "denied", "escalated", "failed", "cancelled", "interrupted", "rolled_back"];
/** Statuses after which nothing more happens to the run. */
export const FINAL_STATUSES: readonly RunStatus[] = ["completed", "denied", "escalated", "failed", "cancelled", "interrupted", "rolled_back"];

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

/** Postgres' unique_violation (a second active run on a thread, or an idempotency key used before). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
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

/**
 * Inserts a run that no process executes yet (attempts 0, no lease). Returns false when the idempotency key already
 * names a run of the tenant. Throws the unique violation of `runs_one_active_per_thread` for a busy thread.
 */
export async function insertRun(db: Queryable, run: NewRun): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO runs (tenant_id, run_id, thread_id, actor, release_id, status, idempotency_key, input, input_hash, mode, max_attempts, webhook)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12)
     ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`,
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
    ],
  );
  return rowCount === 1;
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
export async function reopenFailedRun(db: Queryable, tenant: string, runId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE runs SET status = 'running', attempts = 0, error = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
     WHERE tenant_id = $1 AND run_id = $2 AND status = 'failed'`,
    [tenant, runId],
  );
  return rowCount === 1;
}
