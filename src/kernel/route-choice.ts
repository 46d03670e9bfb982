import type { RouteName } from "./state.js";
import { WardenError } from "../errors.js";
import type { FlagSnapshot } from "./flags.js";
import type { FlagRow } from "../store/flags.js";
import { refundRequestOrderId } from "../text/refund-request.js";

/**
 * Deterministic work goes to the refund workflow: a request to refund a known order, named in the context or
 * in the goal. Whether a goal is such a request is decided by `refundRequestOrderId` (`src/text/refund-request.ts`
 * states the rule: asks for a refund in so many words, names an order id in any usual spelling, and asks no open
 * question; "Could you refund A-1001?" is a request, "Can I still get a refund for A-1001?" a question).
 * Anything open-ended, including questions about refunds and eligibility, goes to the agent.
 */
export function chooseRoute(goal: string, context: Record<string, unknown> | undefined): { route: RouteName; reason: string } {
  if (typeof context?.order_id === "string" && (context.intent === undefined || context.intent === "refund")) {
    return { route: "refund_workflow", reason: "context names an order to refund" };
  }
  if (refundRequestOrderId(goal) !== undefined) {
    return { route: "refund_workflow", reason: "goal asks to refund a named order" };
  }
  return { route: "support_agent", reason: "open-ended request" };
}

/** The route after the rollback switches: a switched-off workflow goes to the agent (or is refused). */
export interface FlaggedRoute {
  route: RouteName;
  reason: string;
  /** The switch that changed or refused the route, and what it did. */
  applied?: { flag: FlagRow; action: string };
  /** Set when no route is left: the run must not go on. */
  refusal?: WardenError;
}

/**
 * Applies `workflow` and `agent` switches to a chosen route. Pure: the runtime calls it before a run is stored
 * (a clean ROUTE_DISABLED refusal), the route node again at the step (a switch set in between still counts).
 */
export function applyRouteFlags(chosen: { route: RouteName; reason: string }, flags: FlagSnapshot, workflowId: string): FlaggedRoute {
  if (chosen.route === "refund_workflow") {
    const flag = flags.find("workflow", workflowId);
    if (flag?.mode === "refuse") {
      return { ...chosen, applied: { flag, action: "request refused" }, refusal: new WardenError("ROUTE_DISABLED", `Workflow ${workflowId} is switched off${flag.reason ? `: ${flag.reason}` : ""}.`) };
    }
    if (flag) {
      const rerouted = applyRouteFlags({ route: "support_agent", reason: `${workflowId} is switched off; routed to the agent` }, flags, workflowId);
      return rerouted.refusal ? rerouted : { ...rerouted, applied: { flag, action: "routed to support_agent" } };
    }
  }
  if (chosen.route === "support_agent") {
    const flag = flags.find("agent");
    if (flag) {
      return { ...chosen, applied: { flag, action: "request refused" }, refusal: new WardenError("ROUTE_DISABLED", `The agent route is switched off${flag.reason ? `: ${flag.reason}` : ""}.`) };
    }
  }
  return chosen;
}
