import type { DepsProvider } from "../graph/deps.js";
import type { RouteName, State, Update } from "../graph/state.js";
import { nodeKit } from "./node-kit.js";

const ORDER_ID = /\b[A-Z]-\d{4}\b/;
const REFUND_INTENT = /\b(refund|money back|reimburse)/i;
const QUESTION = /\?\s*$|^\s*(what|how|why|when|where|can|could|do|does|is|are)\b/i;

/**
 * Deterministic work goes to the refund workflow: a request to refund a known order (named in the context or
 * the goal). Anything open-ended, including questions about refunds, goes to the agent.
 */
export function chooseRoute(goal: string, context: Record<string, unknown> | undefined): { route: RouteName; reason: string } {
  if (typeof context?.order_id === "string" && (context.intent === undefined || context.intent === "refund")) {
    return { route: "refund_workflow", reason: "context names an order to refund" };
  }
  if (REFUND_INTENT.test(goal) && ORDER_ID.test(goal) && !QUESTION.test(goal)) {
    return { route: "refund_workflow", reason: "goal asks to refund a named order" };
  }
  return { route: "support_agent", reason: "open-ended request" };
}

export function createRouteNode(getDeps: DepsProvider) {
  return async function route(state: State): Promise<Update> {
    const kit = await nodeKit(getDeps, state, "route");
    const { route: routed, reason } = chooseRoute(state.goal, state.context);
    kit.emit("route.decided", { route: routed, reason });
    return { routed_to: routed, route_reason: reason };
  };
}
