import type { RouteChoice } from "../../../kernel/pack.js";
import { refundRequestOrderId } from "./refund-request.js";

/**
 * The support pack's router. Deterministic work goes to the refund workflow: a request to refund a known order,
 * named in the context or in the goal. Whether a goal is such a request is decided by `refundRequestOrderId`
 * (`refund-request.ts` states the rule: asks for a refund in so many words, names an order id in any usual
 * spelling, and asks no open question; "Could you refund A-1001?" is a request, "Can I still get a refund for
 * A-1001?" a question). Anything open-ended, including questions about refunds and eligibility, goes to the agent.
 */
export function chooseRoute(goal: string, context: Record<string, unknown> | undefined): RouteChoice {
  if (typeof context?.order_id === "string" && (context.intent === undefined || context.intent === "refund")) {
    return { route: "refund_workflow", reason: "context names an order to refund" };
  }
  if (refundRequestOrderId(goal) !== undefined) {
    return { route: "refund_workflow", reason: "goal asks to refund a named order" };
  }
  return { route: "support_agent", reason: "open-ended request" };
}
