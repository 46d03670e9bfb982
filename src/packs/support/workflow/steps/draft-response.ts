import type { DepsProvider } from "../../../../kernel/deps.js";
import type { RefundState, RefundUpdate } from "../state.js";
import { REFUND_NOTICES, refundNoticeForToolError } from "../notices.js";
import { customerReasonOf } from "../../../../nodes/customer-reason.js";
import { escalateWith } from "../../../../nodes/escalate.js";
import { nodeKit } from "../../../../kernel/node-kit.js";
import { callWorkflowTool } from "../../../../nodes/call-workflow-tool.js";

/**
 * Step 4: drafts the customer reply for what policy said (pending approval, or an explanation of a denial). The
 * reply gives the rule's `customer_reason`, or a neutral notice: the rule's `reason` is for operators (it stays
 * in the `policy.decision` event) and may hold hints such as "send a draft explanation instead".
 */
export function createDraftResponseNode(getDeps: DepsProvider) {
  return async function draftResponse(state: RefundState): Promise<RefundUpdate> {
    const kit = await nodeKit(getDeps, state, "draft_response");
    const eligibility = state.eligibility!;
    const request = state.refund_request!;
    const denied = eligibility.effect === "deny";
    const customerReason = await customerReasonOf(kit, state, { name: "issue_refund", args: request }, eligibility.rule, "workflow");
    const result = await callWorkflowTool(kit, state, "draft_response", "draft_response", {
      order_id: request.order_id,
      outcome: denied ? "refund_denied" : "refund_pending_approval",
      reason: customerReason ?? (denied ? REFUND_NOTICES.refundDenied : REFUND_NOTICES.refundInReview),
      amount: request.amount,
    });
    if (result.status !== "ok") {
      kit.emit("workflow.step", { step: "draft_response", status: "failed", detail: result.error.message });
      return escalateWith(`drafting failed: ${result.error.message}`, refundNoticeForToolError(result.error.code));
    }
    kit.emit("workflow.step", { step: "draft_response", status: "ok" });
    return { draft: (result.output as { draft: string }).draft, evidence: [result.callId] };
  };
}
