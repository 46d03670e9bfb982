import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import type { RunObserver } from "./run-observer.js";
import { RunIdGenerator } from "./otel-ids.js";
import { exportExecution } from "./otel-spans.js";
import type { Redactor } from "./redact.js";
import type { TraceEvent } from "./types.js";

export interface OtelExportOptions {
  /** The OTLP/HTTP traces URL (`…/v1/traces`). Ignored when `exporter` is given. */
  url?: string;
  /** Sent with every export (e.g. an API key of the collector). */
  headers?: Record<string, string>;
  /** `service.name` of the exported resource. */
  serviceName: string;
  /** For the few values not taken from trace events (thread id, tenant, error messages). */
  redactor: Redactor;
  /** The workflow routes (the packs' workflow nodes): their runs export as `invoke_workflow`, the rest as agents. */
  workflows?: ReadonlySet<string>;
  /** Another span exporter (tests: `InMemorySpanExporter`); default OTLP/HTTP with JSON bodies. */
  exporter?: SpanExporter;
  /** How long spans wait to be batched (ms). Default 1000. */
  scheduledDelayMillis?: number;
}

export interface OtelRunExport {
  /** Begins collecting an execution's events; at its end the execution is exported as spans. */
  observer: RunObserver;
  /** The runtime's stored-event hook (events arrive redacted, after they are stored). */
  onEvent(event: TraceEvent): void;
  /** Exports what is pending, then stops the exporter. */
  shutdown(): Promise<void>;
}

/**
 * OTLP export of Warden runs, on a tracer provider of its own: nothing is registered globally, so several
 * runtimes (and tests) in one process each export to their own endpoint, and the application's own OpenTelemetry
 * setup is left alone. Only executions that begin in this process are collected, and only until they end.
 *
 * @example
 * const otel = createOtelRunExport({ url: "http://collector:4318/v1/traces", serviceName: "warden", redactor });
 */
export function createOtelRunExport(options: OtelExportOptions): OtelRunExport {
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: options.url, headers: options.headers ?? {} });
  const ids = new RunIdGenerator();
  const workflows = options.workflows;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: options.scheduledDelayMillis ?? 1000 })],
  });
  const tracer = provider.getTracer("warden");
  /** Events of executions in progress here, by run id. */
  const collecting = new Map<string, TraceEvent[]>();

  return {
    observer: {
      begin(execution) {
        const startedAt = Date.now();
        const events: TraceEvent[] = [];
        collecting.set(execution.run.run_id, events);
        return {
          end(result) {
            if (collecting.get(execution.run.run_id) === events) collecting.delete(execution.run.run_id);
            exportExecution(tracer, ids, { execution, result, startedAt, endedAt: Date.now(), events }, options.redactor, workflows);
          },
        };
      },
    },
    onEvent(event) {
      collecting.get(event.run_id)?.push(event);
    },
    async shutdown() {
      await provider.forceFlush();
      await provider.shutdown();
    },
  };
}

/** `key1=value1,key2=value2` (values percent-encoded), the format of `OTEL_EXPORTER_OTLP_HEADERS`. */
export function parseOtlpHeaders(value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (value ?? "").split(",")) {
    const index = pair.indexOf("=");
    if (index <= 0) continue;
    const key = pair.slice(0, index).trim();
    const raw = pair.slice(index + 1).trim();
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // Not percent-encoded after all: keep it as written.
    }
    if (key) headers[key] = decoded;
  }
  return headers;
}

/**
 * The traces URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as it is, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`
 * (the OTLP exporter specification's rule); undefined when neither is set (nothing is exported).
 */
export function otlpTracesUrl(config: { OTEL_EXPORTER_OTLP_ENDPOINT?: string; OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string }): string | undefined {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`;
}

/** OTLP export from Warden's config: undefined unless an OTLP endpoint is set (then nothing is created). */
export function createOtelRunExportFromConfig(
  config: {
    OTEL_EXPORTER_OTLP_ENDPOINT?: string;
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
    OTEL_EXPORTER_OTLP_HEADERS?: string;
    OTEL_SERVICE_NAME: string;
  },
  redactor: Redactor,
  workflows?: ReadonlySet<string>,
): OtelRunExport | undefined {
  const url = otlpTracesUrl(config);
  if (!url) return undefined;
  return createOtelRunExport({ url, headers: parseOtlpHeaders(config.OTEL_EXPORTER_OTLP_HEADERS), serviceName: config.OTEL_SERVICE_NAME, redactor, ...(workflows ? { workflows } : {}) });
}
