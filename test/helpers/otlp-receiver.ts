import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/** An OTLP attribute value (`AnyValue`) as OTLP/JSON encodes it. */
interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: KeyValue[];
  events?: Array<{ name: string; timeUnixNano: string | number; attributes?: KeyValue[] }>;
  links?: Array<{ traceId: string; spanId: string; attributes?: KeyValue[] }>;
  status?: { code?: number; message?: string };
}
interface ExportTraceServiceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string; version?: string }; spans?: OtlpSpan[] }>;
  }>;
}

/** A received span with its attributes decoded into plain values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId: string | undefined;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** Nanoseconds since the epoch, as bigint. */
  start: bigint;
  end: bigint;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; time: bigint; attributes: Record<string, unknown> }>;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  resource: Record<string, unknown>;
  scope: string | undefined;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Body bytes as sent (possibly gzip). */
  raw: Buffer;
  /** Body after `content-encoding: gzip` was undone. */
  body: Buffer;
  text: string;
}

export interface OtlpReceiver {
  /** Base URL for `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporter appends `/v1/traces`). */
  url: string;
  requests: ReceivedRequest[];
  /** Every span received so far, in arrival order. */
  spans: ReceivedSpan[];
  /** Resolves once at least `count` spans arrived (rejects after `timeoutMs`). */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/** Ids may arrive hex (OTLP/JSON) or base64 (some encoders): always hand tests lower-case hex. */
function hexId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  if (/^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16)) return id.toLowerCase();
  return Buffer.from(id, "base64").toString("hex");
}

function valueOf(value: AnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  if (value.kvlistValue) return attributesOf(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return Buffer.from(value.bytesValue, "base64");
  return undefined;
}

function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((entry) => [entry.key, valueOf(entry.value)]));
}

function spansOf(request: ExportTraceServiceRequest): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          traceId: hexId(span.traceId)!,
          spanId: hexId(span.spanId)!,
          parentSpanId: hexId(span.parentSpanId),
          name: span.name,
          kind: span.kind ?? 0,
          start: BigInt(span.startTimeUnixNano),
          end: BigInt(span.endTimeUnixNano),
          attributes: attributesOf(span.attributes),
          events: (span.events ?? []).map((event) => ({ name: event.name, time: BigInt(event.timeUnixNano), attributes: attributesOf(event.attributes) })),
          status: { code: span.status?.code ?? 0, ...(span.status?.message ? { message: span.status.message } : {}) },
          resource,
          scope: scopeSpans.scope?.name,
        });
      }
    }
  }
  return spans;
}

/**
 * A loopback OTLP/HTTP trace receiver on 127.0.0.1, port 0: `POST /v1/traces` with an OTLP/JSON body (what
 * `@opentelemetry/exporter-trace-otlp-http` sends; gzip is undone), recorded as requests and decoded spans. A
 * protobuf body (`application/x-protobuf`, the `-proto` exporter) is recorded and refused with 415, as a
 * collector without that protocol would: configure the exporter for JSON.
 *
 * @example
 * const receiver = await startOtlpReceiver();
 * const runtime = await createRuntime({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
 * ... await runtime.close();
 * expect(receiver.spans.map((span) => span.name)).toContain("invoke_workflow refund_workflow");
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const spans: ReceivedSpan[] = [];
  const waiters = new Set<() => void>();

  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const raw = Buffer.concat(chunks);
      let body = raw;
      try {
        if (String(incoming.headers["content-encoding"] ?? "").toLowerCase() === "gzip") body = gunzipSync(raw);
      } catch {
        response.writeHead(400).end();
        return;
      }
      const url = new URL(incoming.url ?? "/", "http://127.0.0.1");
      const text = body.toString("utf8");
      requests.push({ method: incoming.method ?? "GET", path: url.pathname, headers: incoming.headers, raw, body, text });
      const type = String(incoming.headers["content-type"] ?? "");
      if (incoming.method !== "POST" || url.pathname !== "/v1/traces") {
        response.writeHead(404, { "content-type": "application/json" }).end("{}");
        return;
      }
      if (!type.includes("json")) {
        response.writeHead(415, { "content-type": "application/json" }).end(JSON.stringify({ message: "this receiver speaks OTLP/JSON only" }));
        return;
      }
      try {
        spans.push(...spansOf(JSON.parse(text) as ExportTraceServiceRequest));
      } catch {
        response.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ message: "invalid OTLP/JSON" }));
        return;
      }
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ partialSuccess: {} }));
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans,
    waitForSpans(count, timeoutMs = 10_000) {
      if (spans.length >= count) return Promise.resolve([...spans]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} spans, received ${spans.length}`));
        }, timeoutMs);
        const check = () => {
          if (spans.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve([...spans]);
        };
        waiters.add(check);
      });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
