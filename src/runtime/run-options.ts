import type { MultitaskStrategy } from "../runs/create-run.js";
import type { TraceEvent } from "../trace/types.js";

/** The WARDEN_RUN_* settings of durable execution (docs/operations.md); `RuntimeOptions.runs` overrides them. */
export interface RunEngineSettings {
  leaseMs: number;
  maxAttempts: number;
  retryDelayMs: number;
  concurrency: number;
  pollMs: number;
  waitMs: number;
  webhookAttempts: number;
  /** Delivery deadline of one webhook attempt. */
  webhookTimeoutMs: number;
}

export interface RunOptions {
  /** Receives this run's trace events (already stored and redacted) while it runs in this process. */
  onEvent?: (event: TraceEvent) => void;
}

export interface StartOptions extends RunOptions {
  /** `sync` (default): answer once the run is stable; `background`: answer at once, with status `queued`. */
  mode?: "sync" | "background";
  /** What happens when the thread already has an active run (default `reject`). */
  multitaskStrategy?: MultitaskStrategy;
  /** POSTed the RunRecord when the run waits for approval or ends (else the tenant's default URL). */
  webhook?: string;
  /** How long a sync start waits before it returns the run still in progress (default WARDEN_RUN_WAIT_MS). */
  waitMs?: number;
}
