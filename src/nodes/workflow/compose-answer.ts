import type { DepsProvider } from "../../graph/deps.js";
import type { State, Update } from "../../graph/state.js";
import { nodeKit, workflowCallId } from "../node-kit.js";
import { callWorkflowTool } from "./call-tool.js";
import { polishAnswer } from "./polish-answer.js";

/** Step 7: the customer-facing answer for how the workflow ended: issued, denied by policy, or rejected. */
export function createComposeAnswerNode(getDeps: DepsProvider) {
  return async function composeAnswer(state: State): Promise<Update> {
    const kit = await nodeKit(getDeps, state, "compose_answer");
    const request = state.refund_request!;
    if (state.eligibility?.effect === "deny") {
      kit.emit("workflow.step", { step: "compose_answer", status: "ok", detail: "policy denied the refund" });
      return { answer: await polishAnswer(kit, state.draft ?? ""), status: "denied" };
    }
    const approval = Object.values(state.approvals).find((entry) => entry.tool_call_id === workflowCallId("issue_refund"));
    const issued = state.refund !== undefined;
    const result = await callWorkflowTool(kit, state, "compose_answer", "draft_response", {
      order_id: request.order_id,
      outcome: issued ? "refund_issued" : "refund_rejected",
      reason: issued ? `Refund reference: ${String(state.refund?.refund_id)}.` : (approval?.comment ?? "The refund was not approved."),
      amount: request.amount,
    });
    if (result.status !== "ok") {
      kit.emit("workflow.step", { step: "compose_answer", status: "failed", detail: result.error.message });
      return { escalation: `composing the answer failed: ${result.error.message}` };
    }
    kit.emit("workflow.step", { step: "compose_answer", status: "ok" });
    const answer = await polishAnswer(kit, (result.output as { draft: string }).draft);
    return { answer, evidence: [result.callId], status: issued ? "completed" : "denied" };
  };
}
