import type { DepsProvider } from "../kernel/deps.js";
import type { State, Update } from "../kernel/state.js";
import { applyRouteFlags, chooseRoute } from "../kernel/route-choice.js";
import { nodeKit } from "../kernel/node-kit.js";

export function createRouteNode(getDeps: DepsProvider) {
  return async function route(state: State): Promise<Update> {
    const kit = await nodeKit(getDeps, state, "route");
    const decided = applyRouteFlags(chooseRoute(state.goal, state.context), kit.flags, kit.loaded.release.workflow);
    if (decided.applied) kit.flagApplied(decided.applied.flag, decided.applied.action);
    if (decided.refusal) throw decided.refusal;
    kit.emit("route.decided", { route: decided.route, reason: decided.reason });
    return { routed_to: decided.route, route_reason: decided.reason };
  };
}
