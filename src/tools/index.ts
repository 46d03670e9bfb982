/** Public surface of the tools layer: define, register, execute (validation, permissions, ledger, retries). */
export { defineTool } from "./define-tool.js";
export { ToolError, isToolError, type ToolErrorOptions } from "./tool-error.js";
export { toolJsonSchema, toModelTool, type ModelTool, type ToolJsonSchema } from "./tool-json-schema.js";
export { createToolRegistry, type ToolRegistry } from "./registry.js";
export { canonicalJson } from "../contracts/canonical-json.js";
export { effectIdFor, hashArgs } from "./args-hash.js";
export { effectRefusal } from "./authorize-effect.js";
export {
  createEffectLedger,
  type BeginEffect,
  type EffectBegin,
  type EffectError,
  type EffectLedger,
  type EffectRecord,
  type EffectState,
} from "./effect-ledger.js";
export { createToolExecutor, DEFAULT_BACKOFF_MS, DEFAULT_TIMEOUT_MS, type ToolExecutor, type ToolExecutorOptions } from "./executor.js";
export type * from "./types.js";
