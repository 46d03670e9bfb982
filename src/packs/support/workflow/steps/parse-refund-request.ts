import type { RefundRequest } from "../state.js";
import { findOrderId, normalizeOrderId, withoutOrderIds } from "../../text/order-id.js";

// An amount is a number after a currency sign/word or "refund ... of/for"; bare digits inside ids are not amounts.
const AMOUNT = /(?:\$|€|£|\busd\s*|\beur\s*|\bamount\s*(?:of\s*)?|\b(?:of|for)\s+\$?)(\d{1,7}(?:\.\d{1,2})?)\b(?!-)/i;

/**
 * Reads what to refund from the envelope's context, falling back to the goal text ("Refund order A-1001, $42").
 * Order ids are read by the same parser the router uses, in any spelling it accepts (`a1001`, `#A-1001`), and
 * kept in the canonical `A-1001` form; a context id that is no order id is kept as given, so validation names it.
 * A missing amount means "the full order total", decided once the order is known.
 */
export function parseRefundRequest(goal: string, context: Record<string, unknown> | undefined): Partial<RefundRequest> {
  const orderId = typeof context?.order_id === "string" ? (normalizeOrderId(context.order_id) ?? context.order_id) : findOrderId(goal);
  let amount: number | undefined;
  if (typeof context?.amount === "number") amount = context.amount;
  else if (typeof context?.amount === "string" && context.amount.trim() !== "") amount = Number(context.amount);
  else {
    const match = AMOUNT.exec(withoutOrderIds(goal));
    if (match?.[1]) amount = Number(match[1]);
  }
  const reason = typeof context?.reason === "string" ? context.reason : goal;
  return { order_id: orderId, amount, reason: reason.slice(0, 500) };
}
