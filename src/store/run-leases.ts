import type { Queryable } from "./db.js";
import type { RunStatus } from "../contracts/run-status.js";
import type { RunDenial, RunError, RunRow, StopRequest } from "./runs.js";
import { isUniqueViolation } from "./store-errors.js";

/**
 * The lease on a run in progress (invariant 11). A process executes a run only while it holds the lease: claimed
 * with a conditional UPDATE (the run is in progress and nobody's lease is live), renewed by heartbeats, and
 * checked on every write of the outcome through `lease_token`, which grows with each claim. A process that lost
 * its lease (it stalled, another took over) therefore cannot overwrite what the new owner records.
 */

/** A claimed run; `lease_token` 1 means its first execution ever (its input was never applied to the thread). */
export type ClaimedRun = RunRow;

export type ClaimResult = { claimed: ClaimedRun } | { busy: "thread" } | { busy: "lease" | "done" };

/**
 * Claims `runId` for `owner` for `ttlMs`, counting one attempt. A queued run becomes running here, which the
 * one-active-run-per-thread index refuses while another run holds the thread (`busy: "thread"`). Also records
 * the thread's latest root checkpoint the first time (what a rollback returns to).
 */
export async function claimRun(
  db: Queryable,
  claim: { tenant: string; runId: string; owner: string; ttlMs: number; checkpointThread: string },
): Promise<ClaimResult> {
  try {
    const { rows } = await db.query<ClaimedRun>(
      `UPDATE runs r SET status = 'running', lease_owner = $3, lease_token = r.lease_token + 1,
              lease_expires_at = now() + make_interval(secs => $4::double precision), attempts = r.attempts + 1,
              base_checkpoint_id = CASE WHEN r.lease_token = 0 THEN (
                SELECT max(c.checkpoint_id) FROM checkpoints c WHERE c.thread_id = $5 AND c.checkpoint_ns = '') ELSE r.base_checkpoint_id END,
              updated_at = now()
       WHERE r.tenant_id = $1 AND r.run_id = $2 AND r.status IN ('queued', 'running')
         AND (r.lease_expires_at IS NULL OR r.lease_expires_at < now())
       RETURNING r.*`,
      [claim.tenant, claim.runId, claim.owner, claim.ttlMs / 1000, claim.checkpointThread],
    );
    const row = rows[0];
    if (row) return { claimed: row };
  } catch (error) {
    if (isUniqueViolation(error)) return { busy: "thread" };
    throw error;
  }
  const { rows } = await db.query<{ status: RunStatus }>("SELECT status FROM runs WHERE tenant_id = $1 AND run_id = $2", [claim.tenant, claim.runId]);
  const status = rows[0]?.status;
  return { busy: status === "queued" || status === "running" ? "lease" : "done" };
}

export interface RenewedLease {
  tenant_id: string;
  run_id: string;
  lease_token: string | number;
  stop_requested: StopRequest | null;
}

/** One heartbeat for every run `owner` executes: extends their leases and reports stops asked of them. */
export async function renewLeases(db: Queryable, owner: string, ttlMs: number): Promise<RenewedLease[]> {
  const { rows } = await db.query<RenewedLease>(
    `UPDATE runs SET lease_expires_at = now() + make_interval(secs => $2::double precision)
     WHERE lease_owner = $1 AND status = 'running'
     RETURNING tenant_id, run_id, lease_token, stop_requested`,
    [owner, ttlMs / 1000],
  );
  return rows;
}

export interface Fence {
  tenant: string;
  runId: string;
  owner: string;
  token: number;
}

const FENCED = "tenant_id = $1 AND run_id = $2 AND lease_owner = $3 AND lease_token = $4";
const fenceParams = (fence: Fence) => [fence.tenant, fence.runId, fence.owner, fence.token];

export interface RunOutcome {
  status: RunStatus;
  route?: string | null | undefined;
  answer?: string | null | undefined;
  error?: RunError | null | undefined;
  denial?: RunDenial | null | undefined;
}

/**
 * Records the outcome of an execution and gives up the lease, in one statement. When the outcome is final, the
 * thread's next queued run (double-texting) is made running in the same statement, so it starts next and nothing
 * slips in between; its id is returned for the caller to send its job in the same transaction. `finished` false:
 * the lease was lost and nothing was written.
 */
export async function finishRun(db: Queryable, fence: Fence, outcome: RunOutcome): Promise<{ finished: boolean; promoted?: { run_id: string; thread_id: string } }> {
  const { rows } = await db.query<{ finished: number; promoted: string | null; thread_id: string | null }>(
    `WITH fin AS (
       UPDATE runs SET status = $5, route = COALESCE($6, route), answer = $7, error = $8::jsonb, denial = $9::jsonb,
              lease_owner = NULL, lease_expires_at = NULL, stop_requested = NULL, updated_at = now(),
              -- Attempts count the executions since the run last made it to a stable point: a run that waits for
              -- its fifth approval has not failed four times.
              attempts = CASE WHEN $5 = 'waiting_approval' THEN 0 ELSE attempts END
       WHERE ${FENCED}
       RETURNING tenant_id, thread_id, status
     ), next AS (
       UPDATE runs q SET status = 'running', updated_at = now()
       FROM fin
       WHERE fin.status NOT IN ('running', 'queued', 'waiting_approval') AND q.tenant_id = fin.tenant_id AND q.run_id = (
         SELECT n.run_id FROM runs n WHERE n.tenant_id = fin.tenant_id AND n.thread_id = fin.thread_id AND n.status = 'queued'
         ORDER BY n.created_at, n.run_id LIMIT 1)
       RETURNING q.run_id, q.thread_id
     )
     SELECT (SELECT count(*) FROM fin)::int AS finished, (SELECT run_id FROM next) AS promoted, (SELECT thread_id FROM next) AS thread_id`,
    [
      ...fenceParams(fence),
      outcome.status,
      outcome.route ?? null,
      outcome.answer ?? null,
      outcome.error ? JSON.stringify(outcome.error) : null,
      outcome.denial ? JSON.stringify(outcome.denial) : null,
    ],
  );
  const row = rows[0];
  const finished = (row?.finished ?? 0) === 1;
  return row?.promoted ? { finished, promoted: { run_id: row.promoted, thread_id: row.thread_id! } } : { finished };
}

/**
 * Gives the run back unfinished: another worker (or this one) executes it again from its last checkpoint, not
 * before `retryAt` (a backoff after a failed attempt; now for a handback). `error` keeps the last failure visible.
 */
export async function releaseRun(db: Queryable, fence: Fence, release: { retryAfterMs: number; error?: RunError }): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE runs SET lease_owner = NULL, lease_expires_at = CASE WHEN $5::double precision > 0 THEN now() + make_interval(secs => $5::double precision) END,
            error = COALESCE($6::jsonb, error), updated_at = now()
     WHERE ${FENCED}`,
    [...fenceParams(fence), release.retryAfterMs / 1000, release.error ? JSON.stringify(release.error) : null],
  );
  return rowCount === 1;
}

/**
 * Runs in progress that nobody executes: their owner died or lost its lease, they wait out a retry's backoff that
 * has passed, or their job was lost. A queued run counts only when its thread is free (it would only wait again).
 */
export async function unownedRuns(db: Queryable, options: { graceMs: number; limit: number }): Promise<Array<{ tenant_id: string; run_id: string; thread_id: string }>> {
  const { rows } = await db.query<{ tenant_id: string; run_id: string; thread_id: string }>(
    `SELECT r.tenant_id, r.run_id, r.thread_id FROM runs r
     WHERE r.status IN ('queued', 'running')
       AND (r.lease_expires_at IS NULL OR r.lease_expires_at < now())
       AND r.updated_at < now() - make_interval(secs => $1::double precision)
       AND (r.status = 'running' OR NOT EXISTS (
         SELECT 1 FROM runs a WHERE a.tenant_id = r.tenant_id AND a.thread_id = r.thread_id AND a.status IN ('running', 'waiting_approval')))
     ORDER BY r.updated_at
     LIMIT $2`,
    [options.graceMs / 1000, options.limit],
  );
  return rows;
}

/**
 * The embedded database admits one process (its data-directory lock): a lease found at start belongs to a process
 * that is gone, so it is released at once rather than waited out.
 */
export async function releaseAllLeases(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    "UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL WHERE status IN ('queued', 'running') AND lease_owner IS NOT NULL",
  );
  return rowCount;
}

/**
 * The next queued run of a thread whose active run was just ended in this transaction (a cancel, a stop decided by a
 * newer run), made running (unowned), so it starts next.
 */
export async function promoteNextQueued(tx: Queryable, tenant: string, threadId: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ run_id: string }>(
    `UPDATE runs SET status = 'running', updated_at = now()
     WHERE tenant_id = $1 AND run_id = (
       SELECT run_id FROM runs WHERE tenant_id = $1 AND thread_id = $2 AND status = 'queued' ORDER BY created_at, run_id LIMIT 1)
       AND NOT EXISTS (SELECT 1 FROM runs a WHERE a.tenant_id = $1 AND a.thread_id = $2 AND a.status IN ('running', 'waiting_approval'))
     RETURNING run_id`,
    [tenant, threadId],
  );
  return rows[0]?.run_id;
}
