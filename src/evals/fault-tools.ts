import { ToolError } from "../tools/tool-error.js";
import type { ToolDefinition } from "../tools/types.js";
import type { ScriptStep } from "./dataset.js";

type FailTool = Extract<ScriptStep, { do: "fail_tool" }>;

/**
 * The tools of one case, with the case's faults injected: a `transient` fault throws a retryable ToolError for
 * the first `times` calls and then lets the real tool run (the executor's retry should absorb it); a
 * `permanent` fault fails every call (the run must escalate, not loop or invent a result). The real tools are
 * not touched: each case gets its own wrapped copies and counters.
 */
export function withFaults(tools: readonly ToolDefinition[], faults: readonly FailTool[]): ToolDefinition[] {
  if (faults.length === 0) return [...tools];
  const known = new Set(tools.map((tool) => tool.name));
  for (const fault of faults) {
    if (!known.has(fault.tool)) throw new ToolError("EVAL_FAULT_UNKNOWN_TOOL", `fail_tool names ${fault.tool}, which is not registered`);
  }
  return tools.map((tool) => {
    const fault = faults.find((candidate) => candidate.tool === tool.name);
    if (!fault) return tool;
    let failures = 0;
    return {
      ...tool,
      async execute(input, ctx) {
        if (fault.mode === "permanent") throw new ToolError("PROVIDER_DOWN", `${tool.name}: the provider refused the call (injected permanent fault)`);
        if (failures < fault.times) {
          failures++;
          throw new ToolError("PROVIDER_BUSY", `${tool.name}: the provider timed out (injected transient fault ${failures}/${fault.times})`, { retryable: true });
        }
        return tool.execute(input, ctx);
      },
    };
  });
}
