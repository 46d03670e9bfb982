import type { DepsProvider } from "../../graph/deps.js";
import type { State, Update } from "../../graph/state.js";
import { nodeKit } from "../node-kit.js";
import { callWorkflowTool } from "./call-tool.js";

/** Step 4: drafts the customer reply for what policy said (pending approval, or an explanation of a denial). */
export function createDraftResponseNode(getDeps: DepsProvider) {
  return async function draftResponse(state: State): Promise<Update> {
    const kit = await nodeKit(getDeps, state, "draft_response");
    const eligibility = state.eligibility!;
    const request = state.refund_request!;
    const result = await callWorkflowTool(kit, state, "draft_response", "draft_response", {
      order_id: request.order_id,
      outcome: eligibility.effect === "deny" ? "refund_denied" : "refund_pending_approval",
      reason: eligibility.reason,
      amount: request.amount,
    });
    if (result.status !== "ok") {
      kit.emit("workflow.step", { step: "draft_response", status: "failed", detail: result.error.message });
      return { escalation: `drafting failed: ${result.error.message}` };
    }
    kit.emit("workflow.step", { step: "draft_response", status: "ok" });
    return { draft: (result.output as { draft: string }).draft, evidence: [result.callId] };
  };
}
