import type { DepsProvider } from "../../../../kernel/deps.js";
import type { RefundState, RefundUpdate } from "../state.js";
import { FLAG_TOOL_RULE, gateToolCall } from "../../../../nodes/gate-tool-call.js";
import { REFUND_NOTICES } from "../notices.js";
import { escalateWith } from "../../../../nodes/escalate.js";
import { nodeKit, workflowCallId } from "../../../../kernel/node-kit.js";

/**
 * Step 3: asks policy about the exact refund the workflow would issue (an absent amount means the order total).
 * Policy holds the business rules (cap, window, order total, approval); this step only records the answer.
 * A switched-off `issue_refund` escalates, as it does when the switch is met after the approval: the refund is
 * not ineligible, only unavailable for now, so a person follows up instead of the customer being told "denied"
 * (the customer hears it is not available right now; the switch's reason stays in the trace).
 */
export function createCheckEligibilityNode(getDeps: DepsProvider) {
  return async function checkEligibility(state: RefundState): Promise<RefundUpdate> {
    const kit = await nodeKit(getDeps, state, "check_eligibility");
    const request = state.refund_request!;
    const total = typeof state.order?.total === "number" ? state.order.total : undefined;
    const amount = request.amount > 0 ? request.amount : (total ?? 0);
    const refund = { ...request, amount };
    const callId = workflowCallId("issue_refund");
    const { decision } = await gateToolCall(kit, state, { id: callId, name: "issue_refund", args: refund }, { proposedBy: "workflow", requestApproval: false });
    kit.emit("workflow.step", { step: "check_eligibility", status: "ok", detail: `${decision.effect} (${decision.rule})` });
    const recorded = { refund_request: refund, eligibility: decision, decisions: { [callId]: decision } };
    return decision.rule === FLAG_TOOL_RULE ? { ...recorded, ...escalateWith(decision.reason, REFUND_NOTICES.unavailable) } : recorded;
  };
}
