import { draftResponse } from "./draft-response.js";
import { issueRefund } from "./issue-refund.js";

/**
 * The `draft_response` call that explains to the customer why a call policy denied at the moment of its effect
 * was not carried out: a refund gets the refund-denied template (order, amount, the reason), any other call a
 * plain explanation. `customerReason` is customer-facing text (the rule's `customer_reason`, or a neutral
 * notice): never the rule's operator `reason`, which stays in the trace.
 */
export function denialDraft(call: { name: string; args: unknown }, customerReason: string): { tool: string; args: Record<string, unknown> } {
  const args = (call.args ?? {}) as Record<string, unknown>;
  if (call.name === issueRefund.name) {
    return {
      tool: draftResponse.name,
      args: {
        ...(typeof args.order_id === "string" ? { order_id: args.order_id } : {}),
        outcome: "refund_denied",
        reason: customerReason,
        ...(typeof args.amount === "number" && args.amount >= 0 ? { amount: args.amount } : {}),
      },
    };
  }
  return { tool: draftResponse.name, args: { outcome: "info", reason: `We could not complete your request. ${customerReason}` } };
}
