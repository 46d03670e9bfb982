import type { TraceEvent } from "../trace/types.js";

/** A tool call as the trace recorded it (arguments redacted like the rest of the event). */
export interface ToolCallRecord {
  tool: string;
  callId: string;
  args: Record<string, unknown>;
  status: string;
  sideEffect: string;
  latencyMs: number;
}

/** What a case cost: the report's cost summary (not a score). */
export interface CaseCost {
  latency_ms: number;
  model_calls: number;
  input_tokens: number;
  output_tokens: number;
  tool_calls: number;
}

const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : 0);

export function toolCallsOf(events: readonly TraceEvent[]): ToolCallRecord[] {
  return events
    .filter((event) => event.kind === "tool.call")
    .map((event) => {
      const a = event.attributes;
      const args = a["gen_ai.tool.call.arguments"];
      return {
        tool: String(a["gen_ai.tool.name"] ?? ""),
        callId: String(a["gen_ai.tool.call.id"] ?? ""),
        args: args !== null && typeof args === "object" && !Array.isArray(args) ? (args as Record<string, unknown>) : {},
        status: String(a.status ?? ""),
        sideEffect: String(a.side_effect ?? ""),
        latencyMs: num(a.latency_ms),
      };
    });
}

export function summarizeCost(events: readonly TraceEvent[], latencyMs: number): CaseCost {
  const models = events.filter((event) => event.kind === "model.call");
  return {
    latency_ms: Math.round(latencyMs),
    model_calls: models.length,
    input_tokens: models.reduce((sum, event) => sum + num(event.attributes["gen_ai.usage.input_tokens"]), 0),
    output_tokens: models.reduce((sum, event) => sum + num(event.attributes["gen_ai.usage.output_tokens"]), 0),
    tool_calls: events.filter((event) => event.kind === "tool.call").length,
  };
}
