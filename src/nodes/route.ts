import type { DepsProvider } from "../kernel/deps.js";
import type { State, Update } from "../kernel/state.js";
import { applyRouteFlags } from "../kernel/route-flags.js";
import { nodeKit } from "../kernel/node-kit.js";
import { modelRoute, type RouteDecider } from "./model-route.js";

/**
 * Picks the run's workflow or agent among the routes its release lists: the packs' rules first, then (when the
 * release turns it on and its model is a real one) the model, else the release's first agent. The release's
 * listing and the rollback switches have the last word (`applyRouteFlags`). One step, as before: the model's
 * answer adds no superstep and no checkpoint write.
 */
export function createRouteNode(getDeps: DepsProvider) {
  return async function route(state: State): Promise<Update> {
    const kit = await nodeKit(getDeps, state, "route");
    const routes = kit.loaded.routes;
    const rule = kit.deps.composition.match(state.goal, state.context);
    const chosen: { route: string; reason: string; by: RouteDecider } = rule
      ? { ...rule, by: "rule" }
      : ((await modelRoute(kit, state.goal, routes)) ?? { route: routes.defaultAgent, reason: "open-ended request", by: "default" });
    const decided = applyRouteFlags(chosen, kit.flags, routes);
    if (decided.applied) kit.flagApplied(decided.applied.flag, decided.applied.action);
    if (decided.refusal) throw decided.refusal;
    // `by` says who chose; when the release's listing or a switch moved the request, `reason` says so.
    kit.emit("route.decided", { route: decided.route, reason: decided.reason, by: chosen.by });
    const update: Update = { routed_to: decided.route, route_reason: decided.reason };
    // The agent's step bound comes from its release entry; an unchanged value is not written again.
    const maxSteps = routes.maxStepsOf(decided.route);
    if (maxSteps !== undefined && maxSteps !== state.agent_max_steps) update.agent_max_steps = maxSteps;
    return update;
  };
}
