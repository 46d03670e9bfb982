import type { FastifyInstance } from "fastify";
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import type { Runtime } from "../../runtime/create-runtime.js";
import type { RunRecord } from "../../runs/run-record.js";
import type { TraceEvent } from "../../trace/types.js";
import { unencapsulated } from "./unencapsulated.js";

/**
 * Prometheus metrics of one app, in their own Registry (not prom-client's global one, so a process — a test
 * file — can hold many apps). Runs are counted where the server calls the runtime; tool calls and policy
 * decisions come from the runtime's trace events (pass `onTraceEvent` to `createRuntime`).
 */
export interface WardenMetrics {
  readonly registry: Registry;
  /** Feed for `RuntimeOptions.onTraceEvent`: counts tool calls and policy decisions. */
  onTraceEvent(event: TraceEvent): void;
  /** One runtime invocation (start, decide, recover, cancel) ended with `status` after `seconds`. */
  observeRun(status: string, seconds: number): void;
  observeRequest(labels: { route: string; method: string; status_code: string }, seconds: number): void;
}

export interface MetricsOptions {
  /** Also export prom-client's process metrics (CPU, memory, event loop lag). Default false. */
  processMetrics?: boolean;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * @example
 * const metrics = createMetrics();
 * const runtime = await createRuntime({ onTraceEvent: metrics.onTraceEvent });
 * const app = createApp({ runtime, metrics });
 */
export function createMetrics(options: MetricsOptions = {}): WardenMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const runs = new Counter({
    name: "warden_runs_total",
    help: "Run invocations by the status they ended in (a run that waits for approval and later completes counts once as waiting_approval and once as completed).",
    labelNames: ["status"],
    registers: [registry],
  });
  const toolCalls = new Counter({
    name: "warden_tool_calls_total",
    help: "Tool calls by tool and status (ok, error, denied, replayed).",
    labelNames: ["tool", "status"],
    registers: [registry],
  });
  const policyDecisions = new Counter({
    name: "warden_policy_decisions_total",
    help: "Policy decisions by effect (allow, deny, require_approval) and decision point.",
    labelNames: ["effect", "point"],
    registers: [registry],
  });
  const runSeconds = new Histogram({
    name: "warden_run_duration_seconds",
    help: "Duration of one run invocation (start until it finishes or waits; a resume until it finishes), by outcome.",
    labelNames: ["status"],
    buckets: SECONDS,
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: "warden_http_request_duration_seconds",
    help: "HTTP request latency by route pattern, method and status code.",
    labelNames: ["route", "method", "status_code"],
    buckets: SECONDS,
    registers: [registry],
  });
  return {
    registry,
    onTraceEvent(event) {
      if (event.kind === "tool.call") {
        toolCalls.inc({ tool: String(event.attributes["gen_ai.tool.name"] ?? "unknown"), status: String(event.attributes.status ?? "unknown") });
      } else if (event.kind === "policy.decision") {
        policyDecisions.inc({ effect: String(event.attributes.effect ?? "unknown"), point: String(event.attributes.point ?? "unknown") });
      }
    },
    observeRun(status, seconds) {
      runs.inc({ status });
      runSeconds.observe({ status }, seconds);
    },
    observeRequest(labels, seconds) {
      requestSeconds.observe(labels, seconds);
    },
  };
}

/** The runtime the routes use: the same object, with every run-driving call timed and counted. */
export function instrumentRuntime(runtime: Runtime, metrics: WardenMetrics): Runtime {
  async function timed(call: () => Promise<RunRecord>): Promise<RunRecord> {
    const started = performance.now();
    const record = await call();
    metrics.observeRun(record.status, (performance.now() - started) / 1000);
    return record;
  }
  return {
    ...runtime,
    start: (envelope, options) => timed(() => runtime.start(envelope, options)),
    decide: (input, options) => timed(() => runtime.decide(input, options)),
    recover: (tenant, runId, options) => timed(() => runtime.recover(tenant, runId, options)),
    cancel: (tenant, runId, options) => timed(() => runtime.cancel(tenant, runId, options)),
  };
}

/** Times every request (route pattern, not the raw URL, so ids do not explode the label set) and serves /metrics. */
export const metricsPlugin = unencapsulated<{ metrics: WardenMetrics }>("warden-metrics", async (app: FastifyInstance, { metrics }) => {
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.observeRequest({ route, method: request.method, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get("/metrics", { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
});
