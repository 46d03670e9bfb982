import { createHash, randomBytes } from "node:crypto";
import type { IdGenerator } from "@opentelemetry/sdk-trace-base";

/**
 * A Warden run's OTLP trace id and the span id of its first execution's root span, derived from the run id: every
 * process computes the same pair, so every execution of the run (the resume after an approval, from any worker)
 * lands in one trace, under the first execution's span.
 */
export function otelRunIds(runId: string): { traceId: string; spanId: string } {
  const hex = createHash("sha256").update(`warden-otel-run:${runId}`).digest("hex");
  // All-zero ids are invalid; a SHA-256 prefix of zeros is not worth a branch beyond this guard.
  const traceId = /^0+$/.test(hex.slice(0, 32)) ? `1${hex.slice(1, 32)}` : hex.slice(0, 32);
  const spanId = /^0+$/.test(hex.slice(32, 48)) ? `1${hex.slice(33, 48)}` : hex.slice(32, 48);
  return { traceId, spanId };
}

/**
 * Random ids, except for the one span started inside `withIds`: the SDK has no option to start a root span with
 * a chosen trace and span id, and the first execution's root span needs both (see `otelRunIds`). `startSpan` is
 * synchronous, so nothing else can draw ids in between.
 */
export class RunIdGenerator implements IdGenerator {
  private next: { traceId?: string; spanId?: string } = {};

  generateTraceId(): string {
    const id = this.next.traceId;
    this.next.traceId = undefined;
    return id ?? randomBytes(16).toString("hex");
  }

  generateSpanId(): string {
    const id = this.next.spanId;
    this.next.spanId = undefined;
    return id ?? randomBytes(8).toString("hex");
  }

  withIds<T>(ids: { traceId: string; spanId: string }, start: () => T): T {
    this.next = { ...ids };
    try {
      return start();
    } finally {
      this.next = {};
    }
  }
}
