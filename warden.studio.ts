// What `langgraph.json` shows in LangGraph Studio: the runtime graph and each route of warden.config.ts's packs
// on its own. A pack's new route gets a line here and in langgraph.json.
import { routeGraph } from "./src/runtime/studio-graphs.js";

export { depsFromEnv, depsOpened, runtime } from "./src/runtime/studio-graphs.js";
export const support_agent = routeGraph("support_agent");
export const refund_workflow = routeGraph("refund_workflow");
