import type { RefundRequest } from "../../graph/state.js";

const ORDER_ID = /\b([A-Z]-\d{4})\b/;
// An amount is a number after a currency sign/word or "refund ... of/for"; bare digits inside ids are not amounts.
const AMOUNT = /(?:\$|€|£|\busd\s*|\beur\s*|\bamount\s*(?:of\s*)?|\b(?:of|for)\s+\$?)(\d{1,7}(?:\.\d{1,2})?)\b(?!-)/i;

/**
 * Reads what to refund from the envelope's context, falling back to the goal text ("Refund order A-1001, $42").
 * A missing amount means "the full order total", decided once the order is known.
 */
export function parseRefundRequest(goal: string, context: Record<string, unknown> | undefined): Partial<RefundRequest> {
  const orderId = typeof context?.order_id === "string" ? context.order_id : ORDER_ID.exec(goal)?.[1];
  let amount: number | undefined;
  if (typeof context?.amount === "number") amount = context.amount;
  else if (typeof context?.amount === "string" && context.amount.trim() !== "") amount = Number(context.amount);
  else {
    const match = AMOUNT.exec(goal.replace(ORDER_ID, ""));
    if (match?.[1]) amount = Number(match[1]);
  }
  const reason = typeof context?.reason === "string" ? context.reason : goal;
  return { order_id: orderId, amount, reason: reason.slice(0, 500) };
}
