import { StateSchema, type StateSchemaFields } from "@langchain/langgraph";
import { RuntimeState } from "./state.js";

/** The channels every graph shares (`RuntimeState`'s): a workflow state holds all of them. */
export const SHARED_FIELDS = RuntimeState.fields;
export type SharedFields = typeof SHARED_FIELDS;

/**
 * A workflow's own state: the shared channels plus the workflow's own. The shared ones let the core nodes
 * (approval, escalate, the node kit, the routing functions) run inside the workflow unchanged. The workflow's own
 * channels live only in the workflow's subgraph checkpoints: the subgraph's boundary is `WorkflowInput` /
 * `WorkflowOutput`, so the runtime graph never holds them and two packs' workflows never share one.
 *
 * @example
 * export const StockState = defineWorkflowState({ sku: z.string().optional(), units: z.number().optional() });
 * new StateGraph(StockState, { input: WorkflowInput, output: WorkflowOutput })
 */
export function defineWorkflowState<Extra extends StateSchemaFields>(extra: Extra & { [K in keyof SharedFields]?: never }) {
  for (const key of Object.keys(extra)) {
    // A pack redefining a shared channel would change what the core nodes read: a programming error.
    if (Object.hasOwn(SHARED_FIELDS, key)) throw new TypeError(`defineWorkflowState: ${key} is a shared channel; name the workflow's own channels apart`);
  }
  return new StateSchema({ ...SHARED_FIELDS, ...(extra as Extra) });
}
