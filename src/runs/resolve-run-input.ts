import { Command } from "@langchain/langgraph";
import { listApprovals } from "../store/approvals.js";
import type { Queryable } from "../store/db.js";
import type { RunRow } from "../store/runs.js";
import { interruptsOf, type ExecutableGraph } from "./run-graph.js";

export type RunInput =
  /** Run the graph with this input: the run's own input (a start), a resume Command, or null (continue). */
  | { kind: "graph"; input: unknown }
  /** The run waits for a person: nothing to execute. */
  | { kind: "waiting" }
  /** The graph already finished (a crash after its last checkpoint, before the outcome was recorded). */
  | { kind: "finished"; values: Record<string, unknown> };

/**
 * What an execution of `run` has to do, read from the run's row, its thread's checkpoint and its approvals, so a
 * start, a resume after an approval and a recovery after a crash are one code path:
 * - never executed before (lease token 1): start from the run's stored input;
 * - the thread's state is another run's: this run's input never reached a checkpoint (a crash right after the
 *   claim), start from it again;
 * - the thread waits at an interrupt: resume with the decision recorded in the approvals table (the decision and
 *   this job were committed together), or keep waiting while the approval is still pending;
 * - no task left: the graph finished;
 * - otherwise continue from the last checkpoint (LangGraph applies the writes saved for it and re-runs the step
 *   that was cut off).
 */
export async function resolveRunInput(ctx: { db: Queryable; graph: ExecutableGraph }, run: RunRow, checkpointThread: string, leaseToken: number): Promise<RunInput> {
  if (leaseToken === 1) return { kind: "graph", input: run.input };
  const snapshot = await ctx.graph.getState({ configurable: { thread_id: checkpointThread } });
  const values = (snapshot.values ?? {}) as Record<string, unknown>;
  if (values.run_id !== run.run_id) return { kind: "graph", input: run.input };
  const interrupts = interruptsOf(snapshot);
  if (interrupts.length > 0) {
    const waitingFor = new Set(interrupts.map((entry) => (entry.value as { approval_id?: unknown } | undefined)?.approval_id).filter((id): id is string => typeof id === "string"));
    const approvals = (await listApprovals(ctx.db, run.tenant_id, { runId: run.run_id })).filter((approval) => waitingFor.has(approval.approval_id));
    const decided = approvals.find((approval) => approval.status !== "pending");
    if (!decided) return { kind: "waiting" };
    // The approval node trusts the approvals row, not this payload; the payload only says which approval to apply.
    const resume = {
      approval_id: decided.approval_id,
      decision: decided.status === "approved" ? "approve" : "reject",
      approver: decided.decided_by ?? "unknown",
      ...(decided.comment ? { comment: decided.comment } : {}),
      args_hash: decided.args_hash,
    };
    return { kind: "graph", input: new Command({ resume }) };
  }
  // Finished only when no task is left. `next` is not the test: it leaves out tasks whose writes were saved, and a
  // crash between a step's writes and the next checkpoint (async durability saves them first) leaves exactly that.
  // Continuing applies those writes and goes on from there.
  if (snapshot.tasks.length === 0) return { kind: "finished", values };
  return { kind: "graph", input: null };
}
