import type { Queryable } from "../store/db.js";
import { listApprovals } from "../store/approvals.js";
import { listToolEffectSummaries } from "../store/tool-effects.js";
import type { RunStatus } from "../contracts/run-status.js";
import { getRun, type RunDenial, type RunRow } from "../store/runs.js";
import { WardenError } from "../errors.js";

/** The public shape of a run (the REST API returns exactly this). */
export interface RunRecord {
  run_id: string;
  thread_id: string;
  tenant: string;
  actor: string;
  release: string;
  route: string | null;
  status: RunStatus;
  answer?: string;
  /** Why a failed run failed (or, while it is retried, why its last attempt failed). */
  error?: { code: string; message: string };
  /** Why policy denied the run: the rule and its reason. */
  denial?: RunDenial;
  /** Executions since the run was last stable (a crash, or a failed attempt and its retry, make more than one). */
  attempts: number;
  pending_approvals: Array<{ approval_id: string; tool: string; args: Record<string, unknown>; args_hash: string; rule: string; reason: string }>;
  effects: Array<{ effect_id: string; tool: string; status: string }>;
  created_at: string;
  updated_at: string;
}

/** A run that no process has started yet reads `queued`, whether it waits for a worker or behind another run. */
export function publicStatus(run: Pick<RunRow, "status" | "attempts">): RunStatus {
  return run.status === "running" && run.attempts === 0 ? "queued" : run.status;
}

/** Reads a run with its pending approvals and effects; another tenant's run is "not found" (invariant 4). */
export async function loadRunRecord(db: Queryable, tenant: string, runId: string): Promise<RunRecord> {
  const run = await getRun(db, tenant, runId);
  if (!run) throw new WardenError("RUN_NOT_FOUND", `Run ${runId} was not found.`);
  const approvals = await listApprovals(db, tenant, { runId, status: "pending" });
  const effects = await listToolEffectSummaries(db, tenant, runId);
  return {
    run_id: run.run_id,
    thread_id: run.thread_id,
    tenant: run.tenant_id,
    actor: run.actor,
    release: run.release_id,
    route: run.route,
    status: publicStatus(run),
    ...(run.answer !== null ? { answer: run.answer } : {}),
    ...(run.error ? { error: run.error } : {}),
    ...(run.denial ? { denial: run.denial } : {}),
    attempts: run.attempts,
    pending_approvals: approvals.map((approval) => ({
      approval_id: approval.approval_id,
      tool: approval.tool,
      args: approval.args,
      args_hash: approval.args_hash,
      rule: approval.rule,
      reason: approval.reason,
    })),
    effects,
    created_at: new Date(run.created_at).toISOString(),
    updated_at: new Date(run.updated_at).toISOString(),
  };
}
