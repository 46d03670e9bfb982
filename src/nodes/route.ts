import type { DepsProvider } from "../kernel/deps.js";
import type { State, Update } from "../kernel/state.js";
import { applyRouteFlags } from "../kernel/route-flags.js";
import { nodeKit } from "../kernel/node-kit.js";

export function createRouteNode(getDeps: DepsProvider) {
  return async function route(state: State): Promise<Update> {
    const kit = await nodeKit(getDeps, state, "route");
    const decided = applyRouteFlags(kit.deps.composition.route(state.goal, state.context), kit.flags, kit.deps.composition);
    if (decided.applied) kit.flagApplied(decided.applied.flag, decided.applied.action);
    if (decided.refusal) throw decided.refusal;
    kit.emit("route.decided", { route: decided.route, reason: decided.reason });
    return { routed_to: decided.route, route_reason: decided.reason };
  };
}
