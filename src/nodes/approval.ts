import { interrupt } from "@langchain/langgraph";
import { z } from "zod";
import type { DepsProvider } from "../kernel/deps.js";
import type { ApprovalState, State, Update } from "../kernel/state.js";
import { decideApproval, getApproval } from "../store/approvals.js";
import { nodeKit } from "../kernel/node-kit.js";

/** What `Command({ resume })` must carry to decide an approval. */
export const ApprovalResume = z.object({
  approval_id: z.string(),
  decision: z.enum(["approve", "reject"]),
  approver: z.string().min(1),
  comment: z.string().max(2000).optional(),
  /** The hash of the arguments the approver saw; when given it must match the pending call. */
  args_hash: z.string().optional(),
});
export type ApprovalResume = z.infer<typeof ApprovalResume>;

/** The interrupt payload a client sees while the run waits. */
export interface ApprovalRequest {
  approval_id: string;
  tool: string;
  args: Record<string, unknown>;
  args_hash: string;
  rule: string;
  reason: string;
  requested_by: string;
}

export function pendingApprovals(state: Pick<State, "approvals">): ApprovalState[] {
  return Object.values(state.approvals ?? {}).filter((approval) => approval.status === "pending");
}

/**
 * Stops the run until a person decides the first pending approval. Nothing with an effect happens before
 * `interrupt()`: LangGraph re-runs this node from the top on resume (invariant 3).
 *
 * The approvals row is the source of truth. The runtime facade validates the approver and applies the decision
 * with a conditional UPDATE before resuming, so here the row is normally decided already. When the graph is
 * driven directly (LangGraph Studio), the row is still pending and this node applies the same rules itself;
 * anything it cannot verify counts as a rejection (fail closed).
 */
export function createApprovalNode(getDeps: DepsProvider) {
  return async function approval(state: State): Promise<Update> {
    const target = pendingApprovals(state)[0];
    if (!target) return {};
    const request: ApprovalRequest = {
      approval_id: target.approval_id,
      tool: target.tool,
      args: target.args,
      args_hash: target.args_hash,
      rule: target.rule,
      reason: target.reason,
      requested_by: target.requested_by,
    };
    const kit = await nodeKit(getDeps, state, "approval");
    // Stored before the run stops, so the trace is complete while it waits (a no-op on the resumed re-run).
    await kit.trace.flush();
    const raw: unknown = interrupt(request);

    const resume = ApprovalResume.safeParse(raw);
    const entry = (resume.success ? state.approvals[resume.data.approval_id] : undefined) ?? target;
    let row = await getApproval(kit.deps.db, state.tenant, entry.approval_id);
    if (row?.status === "pending") {
      const valid =
        resume.success &&
        resume.data.approval_id === entry.approval_id &&
        resume.data.approver !== row.requested_by &&
        (resume.data.args_hash === undefined || resume.data.args_hash === row.args_hash);
      await decideApproval(kit.deps.db, state.tenant, entry.approval_id, {
        status: valid && resume.data.decision === "approve" ? "approved" : "rejected",
        decidedBy: resume.success ? resume.data.approver : "unknown",
        comment: valid ? resume.data.comment : "invalid or unverifiable approval decision",
      });
      row = await getApproval(kit.deps.db, state.tenant, entry.approval_id);
    }
    // Approved only if the stored row says so for exactly the arguments this run holds.
    const approved = row?.status === "approved" && row.args_hash === entry.args_hash;
    const resolved: ApprovalState = {
      ...entry,
      status: approved ? "approved" : "rejected",
      approver: row?.decided_by ?? undefined,
      comment: row?.comment ?? undefined,
    };
    kit.emit("approval.resolved", {
      approval_id: entry.approval_id,
      decision: approved ? "approve" : "reject",
      approver: resolved.approver ?? "unknown",
      "gen_ai.tool.call.id": entry.tool_call_id,
      args_hash: row?.args_hash ?? entry.args_hash,
      comment: resolved.comment,
    });
    return { approvals: { [entry.approval_id]: resolved } };
  };
}
