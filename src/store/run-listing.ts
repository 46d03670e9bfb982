import type { ApprovalRow } from "./approvals.js";
import type { Queryable } from "./db.js";
import type { RunStatus } from "../contracts/run-status.js";
import type { RunRow } from "./runs.js";

/** Where a page ends: the sort key of its last row, exactly (created_at to the microsecond, as Postgres text). */
export interface PagePosition {
  at: string;
  id: string;
}

export type ListedRun = Omit<RunRow, "input"> & { position_at: string };

/**
 * A tenant's runs, newest first, `limit` at a time after `after` (keyset paging: stable while runs are added).
 * `queued` includes runs no process has started yet (status running, no attempt), as the RunRecord shows them.
 */
export async function listRuns(
  db: Queryable,
  tenant: string,
  filter: { status?: RunStatus | undefined; threadId?: string | undefined; limit: number; after?: PagePosition | undefined },
): Promise<ListedRun[]> {
  const { rows } = await db.query<ListedRun>(
    `SELECT tenant_id, run_id, thread_id, actor, release_id, route, status, answer, error, idempotency_key, input_hash, mode,
            attempts, max_attempts, lease_owner, lease_token, lease_expires_at, stop_requested, base_checkpoint_id, webhook,
            denial, created_at, updated_at, created_at::text AS position_at
     FROM runs
     WHERE tenant_id = $1
       AND ($2::text IS NULL
            OR ($2 = 'queued' AND (status = 'queued' OR (status = 'running' AND attempts = 0)))
            OR ($2 = 'running' AND status = 'running' AND attempts > 0)
            OR ($2 NOT IN ('queued', 'running') AND status = $2))
       AND ($3::text IS NULL OR thread_id = $3)
       AND ($4::text IS NULL OR (created_at, run_id) < ($4::timestamptz, $5::text))
     ORDER BY created_at DESC, run_id DESC
     LIMIT $6`,
    [tenant, filter.status ?? null, filter.threadId ?? null, filter.after?.at ?? null, filter.after?.id ?? null, filter.limit],
  );
  return rows;
}

export type ListedApproval = ApprovalRow & { position_at: string };

/** A tenant's approvals, oldest first (a work queue), `limit` at a time after `after`. */
export async function listApprovalsPage(
  db: Queryable,
  tenant: string,
  filter: { status?: ApprovalRow["status"] | undefined; runId?: string | undefined; limit: number; after?: PagePosition | undefined },
): Promise<ListedApproval[]> {
  const { rows } = await db.query<ListedApproval>(
    `SELECT *, created_at::text AS position_at FROM approvals
     WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR run_id = $3)
       AND ($4::text IS NULL OR (created_at, approval_id) > ($4::timestamptz, $5::text))
     ORDER BY created_at, approval_id
     LIMIT $6`,
    [tenant, filter.status ?? null, filter.runId ?? null, filter.after?.at ?? null, filter.after?.id ?? null, filter.limit],
  );
  return rows;
}
