/** Trace event contracts. Attribute names follow the OpenTelemetry GenAI conventions where one exists. */
export const TRACE_KINDS = [
  "run.started",
  "route.decided",
  "workflow.step",
  "model.call",
  "tool.call",
  "policy.decision",
  "approval.requested",
  "approval.resolved",
  "memory.read",
  "memory.write",
  "flag.applied",
  "eval.result",
  "run.finished",
  "run.failed",
] as const;
export type TraceKind = (typeof TRACE_KINDS)[number];

export interface TraceEvent {
  run_id: string;
  /** 1, 2, 3... per run, in emission sequence (continues across resumes). */
  seq: number;
  /** ISO-8601 time of emission. */
  at: string;
  tenant: string;
  release: string;
  kind: TraceKind;
  /** Graph node that emitted it, when there is one. */
  node?: string;
  /** Flat, redacted attributes, e.g. `{"gen_ai.tool.name": "reserve_stock", "status": "ok"}`. */
  attributes: Record<string, unknown>;
}

export interface TraceScope {
  tenant: string;
  runId: string;
  release: string;
}

/** A run's event buffer for this process. `emit` is synchronous; events reach `run_events` in batches. */
export interface RunTrace {
  readonly scope: TraceScope;
  emit(kind: TraceKind, attributes: Record<string, unknown>, node?: string): void;
  /** Writes buffered events (one multi-row INSERT). */
  flush(): Promise<void>;
  /** All events of the run so far, stored and buffered, ordered by seq (flushes first). */
  events(): Promise<TraceEvent[]>;
}

export interface TraceStore {
  /** The run's trace in this process (the same object for the same run until `release`). */
  forRun(scope: TraceScope): RunTrace;
  /** Flushes and forgets the run's buffer (end of an invocation). */
  release(runId: string): Promise<void>;
  /** Stored events of a run, tenant-scoped; `afterSeq` for resumable streams. */
  read(tenant: string, runId: string, afterSeq?: number): Promise<TraceEvent[]>;
}
