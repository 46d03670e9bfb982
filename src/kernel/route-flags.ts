import { WardenError } from "../errors.js";
import type { FlagRow } from "../store/flags.js";
import type { FlagSnapshot } from "./flags.js";
import type { RouteChoice } from "./pack.js";
import type { ReleaseRoutes } from "./release-routes.js";

/** The route after the release's listing and the rollback switches: an unlisted or switched-off workflow goes to the agent (or is refused). */
export interface FlaggedRoute {
  route: string;
  reason: string;
  /** The switch that changed or refused the route, and what it did. */
  applied?: { flag: FlagRow; action: string };
  /** Set when no route is left: the run must not go on. */
  refusal?: WardenError;
}

/**
 * Keeps a chosen route within the release, then applies `workflow` and `agent` switches. A route the release
 * does not list behaves like a switched-off one (no flag is recorded, the reason says why): a workflow's requests
 * go to the release's first agent, an agent's too. Pure: the runtime calls it before a run is stored (a clean
 * ROUTE_DISABLED refusal), the route node again at the step (a switch set in between still counts).
 */
export function applyRouteFlags(chosen: RouteChoice, flags: FlagSnapshot, routes: ReleaseRoutes): FlaggedRoute {
  if (!routes.lists(chosen.route)) {
    const what = routes.workflowOf(chosen.route)?.id ?? chosen.route;
    return applyRouteFlags({ route: routes.defaultAgent, reason: `${what} is not in release ${routes.release}; routed to the agent` }, flags, routes);
  }
  const workflow = routes.workflowOf(chosen.route);
  if (workflow) {
    const flag = flags.find("workflow", workflow.id);
    if (flag?.mode === "refuse") {
      return { ...chosen, applied: { flag, action: "request refused" }, refusal: new WardenError("ROUTE_DISABLED", `Workflow ${workflow.id} is switched off${flag.reason ? `: ${flag.reason}` : ""}.`) };
    }
    if (flag) {
      const agent = routes.defaultAgent;
      const rerouted = applyRouteFlags({ route: agent, reason: `${workflow.id} is switched off; routed to the agent` }, flags, routes);
      return rerouted.refusal ? rerouted : { ...rerouted, applied: { flag, action: `routed to ${agent}` } };
    }
    return chosen;
  }
  const flag = flags.find("agent");
  if (flag) {
    return { ...chosen, applied: { flag, action: "request refused" }, refusal: new WardenError("ROUTE_DISABLED", `The agent route is switched off${flag.reason ? `: ${flag.reason}` : ""}.`) };
  }
  return chosen;
}
