import type { ApprovalRow } from "../store/approvals.js";
import type { Queryable } from "../store/db.js";
import { listApprovalsPage, listRuns, type ListedRun } from "../store/run-listing.js";
import type { RunStatus } from "../contracts/run-status.js";
import type { RunDenial } from "../store/runs.js";
import { decodeCursor, encodeCursor } from "./page-cursor.js";
import { publicStatus } from "./run-record.js";

/** A run as a listing shows it (GET /v1/runs): no answer, approvals or effects; read the run for those. */
export interface RunSummary {
  run_id: string;
  thread_id: string;
  actor: string;
  release: string;
  route: string | null;
  status: RunStatus;
  mode: "sync" | "background";
  attempts: number;
  error?: { code: string; message: string };
  denial?: RunDenial;
  created_at: string;
  updated_at: string;
}

export interface RunPage {
  runs: RunSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

export interface ApprovalPage {
  approvals: ApprovalRow[];
  next_cursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

function summary(run: ListedRun): RunSummary {
  return {
    run_id: run.run_id,
    thread_id: run.thread_id,
    actor: run.actor,
    release: run.release_id,
    route: run.route,
    status: publicStatus(run),
    mode: run.mode,
    attempts: run.attempts,
    ...(run.error ? { error: run.error } : {}),
    ...(run.denial ? { denial: run.denial } : {}),
    created_at: new Date(run.created_at).toISOString(),
    updated_at: new Date(run.updated_at).toISOString(),
  };
}

/** One page of a tenant's runs, newest first. One more row than asked tells whether a next page exists. */
export async function pageRuns(
  db: Queryable,
  tenant: string,
  filter: { status?: RunStatus | undefined; threadId?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
): Promise<RunPage> {
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, filter.limit ?? DEFAULT_PAGE_SIZE));
  const rows = await listRuns(db, tenant, { status: filter.status, threadId: filter.threadId, limit: limit + 1, after: decodeCursor(filter.cursor) });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { runs: page.map(summary), next_cursor: rows.length > limit && last ? encodeCursor({ at: last.position_at, id: last.run_id }) : null };
}

/** One page of a tenant's approvals, oldest first. */
export async function pageApprovals(
  db: Queryable,
  tenant: string,
  filter: { status?: ApprovalRow["status"] | undefined; runId?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
): Promise<ApprovalPage> {
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, filter.limit ?? DEFAULT_PAGE_SIZE));
  const rows = await listApprovalsPage(db, tenant, { status: filter.status, runId: filter.runId, limit: limit + 1, after: decodeCursor(filter.cursor) });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    approvals: page.map(({ position_at: _position, ...approval }) => approval),
    next_cursor: rows.length > limit && last ? encodeCursor({ at: last.position_at, id: last.approval_id }) : null,
  };
}
