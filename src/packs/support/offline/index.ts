import type { OfflineHeuristics } from "../../../model/index.js";
import { supportAnswer, SUPPORT_FALLBACK } from "./answer.js";
import { planSupportCalls } from "./plan.js";

/**
 * What the offline model knows of support (`PackSpec.offline`): order ids in the goal, reading the refund policy
 * when asked about refunds, messaging the customer only when asked, a stated preference proposed as memory, and
 * answers worded from the orders found. The generic planner leaves these four tools to it; `issue_refund` and
 * `draft_response` are left to the core (never called generically: one has an effect, the other free-text arguments).
 */
export const supportOffline: OfflineHeuristics = Object.freeze({
  tools: Object.freeze(["lookup_order", "read_policy", "send_message", "remember"]),
  plan: planSupportCalls,
  answer: supportAnswer,
  fallback: SUPPORT_FALLBACK,
});
