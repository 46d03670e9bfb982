import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type AttributeValue, type Tracer } from "@opentelemetry/api";
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_WORKFLOW_NAME,
} from "@opentelemetry/semantic-conventions/incubating";
import { ATTR_ERROR_TYPE } from "@opentelemetry/semantic-conventions";
import type { ExecutionResult, RunExecution } from "./run-observer.js";
import { otelRunIds, type RunIdGenerator } from "./otel-ids.js";
import type { Redactor } from "./redact.js";
import type { TraceEvent } from "./types.js";

/** One execution of a run as this process saw it: when it ran and the (already redacted) events it stored. */
export interface ObservedExecution {
  execution: RunExecution;
  result: ExecutionResult;
  startedAt: number;
  endedAt: number;
  events: readonly TraceEvent[];
}

/**
 * A workflow's route runs as `invoke_workflow`, anything else as an agent. The packs say which routes are
 * workflows; without that list, the naming convention (`<name>_workflow`) decides.
 */
function isWorkflow(route: string | null, workflows: ReadonlySet<string> | undefined): boolean {
  if (route === null) return false;
  return workflows ? workflows.has(route) : route.endsWith("_workflow");
}

/** OTLP attribute values are primitives or arrays of one primitive type: objects travel as JSON. */
function attributeValue(value: unknown): AttributeValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
  if (Array.isArray(value) && value.every((item) => typeof item === "number")) return value as number[];
  return JSON.stringify(value);
}

function flat(attributes: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    const converted = attributeValue(value);
    if (converted !== undefined) out[key] = converted;
  }
  return out;
}

const text = (value: unknown): string | undefined => (typeof value === "string" && value.length > 0 ? value : undefined);
const count = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
const eventEnd = (event: TraceEvent): number => Date.parse(event.at);
const eventStart = (event: TraceEvent): number => eventEnd(event) - Math.max(0, count(event.attributes.latency_ms) ?? 0);

/**
 * Turns one execution into spans after the GenAI semantic conventions: a root `invoke_workflow <route>` or
 * `invoke_agent <route>` span for the execution, a `chat <model>` span per `model.call` event and an
 * `execute_tool <tool>` span per `tool.call` event below it, and the other events (route, policy decisions,
 * approvals, workflow steps, evaluator results, the finish) as span events of the root. The first execution's
 * root span takes the run's derived trace and span id; later executions are its children, in the same trace.
 * Span details come from stored trace events, which are redacted before they are stored; the few values taken
 * from the run's row and the executor (thread id, tenant, release, an error message) pass `redactor` here.
 */
export function exportExecution(tracer: Tracer, ids: RunIdGenerator, observed: ObservedExecution, redactor: Redactor, workflows?: ReadonlySet<string>): void {
  const { kind } = observed.execution;
  const { events } = observed;
  const run = { ...observed.execution.run, ...redactor.redact({ thread_id: observed.execution.run.thread_id, tenant_id: observed.execution.run.tenant_id, release_id: observed.execution.run.release_id }) };
  const result = redactor.redact(observed.result);
  const route = result.route ?? text(events.find((event) => event.kind === "route.decided")?.attributes.route) ?? run.route;
  const workflow = isWorkflow(route, workflows);
  const operation = workflow ? "invoke_workflow" : "invoke_agent";
  const common: Attributes = {
    [ATTR_GEN_AI_CONVERSATION_ID]: run.thread_id,
    "warden.run_id": run.run_id,
    "warden.tenant": run.tenant_id,
    "warden.release": run.release_id,
  };
  const rootAttributes: Attributes = {
    ...common,
    [ATTR_GEN_AI_OPERATION_NAME]: operation,
    ...(route ? { [workflow ? ATTR_GEN_AI_WORKFLOW_NAME : ATTR_GEN_AI_AGENT_NAME]: route, "warden.route": route } : {}),
    "warden.thread_id": run.thread_id,
    "warden.status": result.status,
    "warden.execution": kind,
    ...(result.error ? { [ATTR_ERROR_TYPE]: result.error.code } : {}),
  };
  const name = `${operation} ${route ?? "warden"}`;
  const runIds = otelRunIds(run.run_id);
  const options = { kind: SpanKind.INTERNAL, startTime: observed.startedAt, attributes: rootAttributes };
  const root =
    Number(run.lease_token) === 1
      ? ids.withIds(runIds, () => tracer.startSpan(name, options, ROOT_CONTEXT))
      : tracer.startSpan(name, options, trace.setSpanContext(ROOT_CONTEXT, { ...runIds, traceFlags: TraceFlags.SAMPLED, isRemote: true }));
  const parent = trace.setSpan(ROOT_CONTEXT, root);

  for (const event of events) {
    const attributes = event.attributes;
    if (event.kind === "model.call") {
      const model = text(attributes["gen_ai.request.model"]) ?? "unknown";
      const span = tracer.startSpan(
        `chat ${model}`,
        {
          kind: SpanKind.CLIENT,
          startTime: eventStart(event),
          attributes: {
            ...common,
            [ATTR_GEN_AI_OPERATION_NAME]: "chat",
            [ATTR_GEN_AI_REQUEST_MODEL]: model,
            ...(text(attributes["gen_ai.system"]) ? { [ATTR_GEN_AI_PROVIDER_NAME]: text(attributes["gen_ai.system"]) } : {}),
            ...(count(attributes["gen_ai.usage.input_tokens"]) !== undefined ? { [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: count(attributes["gen_ai.usage.input_tokens"]) } : {}),
            ...(count(attributes["gen_ai.usage.output_tokens"]) !== undefined ? { [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: count(attributes["gen_ai.usage.output_tokens"]) } : {}),
            ...flat({ [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: attributes["gen_ai.response.finish_reasons"], "warden.node": event.node }),
          },
        },
        parent,
      );
      span.end(eventEnd(event));
    } else if (event.kind === "tool.call") {
      const tool = text(attributes["gen_ai.tool.name"]) ?? "unknown";
      const status = text(attributes.status);
      const span = tracer.startSpan(
        `execute_tool ${tool}`,
        {
          kind: SpanKind.INTERNAL,
          startTime: eventStart(event),
          attributes: {
            ...common,
            [ATTR_GEN_AI_OPERATION_NAME]: "execute_tool",
            [ATTR_GEN_AI_TOOL_NAME]: tool,
            [ATTR_GEN_AI_TOOL_TYPE]: "function",
            ...flat({
              [ATTR_GEN_AI_TOOL_CALL_ID]: attributes["gen_ai.tool.call.id"],
              "warden.node": event.node,
              "warden.tool.status": status,
              "warden.tool.side_effect": attributes.side_effect,
              "warden.tool.origin": attributes.origin,
              "warden.tool.retries": attributes.retries,
              "warden.tool.effect_id": attributes.effect_id,
              [ATTR_ERROR_TYPE]: status === "error" || status === "denied" ? attributes.error_code : undefined,
            }),
          },
        },
        parent,
      );
      if (status === "error") span.setStatus({ code: SpanStatusCode.ERROR, ...(text(attributes.error_message) ? { message: text(attributes.error_message) } : {}) });
      span.end(eventEnd(event));
    } else {
      root.addEvent(event.kind, flat({ ...attributes, "warden.node": event.node, "warden.seq": event.seq }), eventEnd(event));
    }
  }
  if (result.error) root.setStatus({ code: SpanStatusCode.ERROR, message: `${result.error.code}: ${result.error.message}` });
  root.end(observed.endedAt);
}
