import { getCallbackManagerForConfig, type RunnableConfig } from "@langchain/core/runnables";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import type { ToolExecutor } from "./executor.js";

/**
 * Wraps the tool executor so each call appears as a LangSmith `tool` run under the node that made it (the agent's
 * `tools` node, or a workflow step). Warden's tools are plain functions, not LangChain tools, so without this a
 * trace shows the node but not the call. The run's input is the call's arguments and its output the executor's
 * result; both are redacted by the client like every run. Outside a traced graph step (no callbacks in the current
 * LangChain context) the call runs as it is. Install only when LangSmith tracing is on.
 */
export function traceToolRuns(executor: ToolExecutor): ToolExecutor {
  return {
    async execute(call, scope) {
      const config = AsyncLocalStorageProviderSingleton.getRunnableConfig() as RunnableConfig | undefined;
      const manager = config?.callbacks ? await getCallbackManagerForConfig(config) : undefined;
      if (!manager) return executor.execute(call, scope);
      const input = call.args !== null && typeof call.args === "object" && !Array.isArray(call.args) ? (call.args as Record<string, unknown>) : JSON.stringify(call.args ?? null);
      const serialized = { lc: 1, type: "not_implemented" as const, id: ["warden", "tools", call.name] };
      const run = await manager.handleToolStart(serialized, input, undefined, undefined, ["warden-tool"], { origin: scope.origin }, call.name, call.id);
      try {
        const result = await executor.execute(call, scope);
        if (result.status === "error") await run.handleToolError(Object.assign(new Error(`${result.error.code}: ${result.error.message}`), { name: result.error.code }));
        else await run.handleToolEnd(result);
        return result;
      } catch (error) {
        await run.handleToolError(error);
        throw error;
      }
    },
  };
}
