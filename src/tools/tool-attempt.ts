import { isWardenError } from "../errors.js";
import { ToolError } from "./tool-error.js";

/** A tool failure, classified: what the executor reports and whether another attempt could help. */
export interface ToolFailure {
  code: string;
  message: string;
  retryable: boolean;
  recoverable: boolean;
}

/** WardenError codes a tool may throw that mean "try again". */
const RETRYABLE_CODES = new Set(["TOOL_TRANSIENT", "TOOL_TIMEOUT"]);

export function classifyFailure(error: unknown): ToolFailure {
  if (error instanceof ToolError) {
    return { code: error.code, message: error.message, retryable: error.retryable, recoverable: error.recoverable };
  }
  if (isWardenError(error)) {
    return { code: error.code, message: error.message, retryable: RETRYABLE_CODES.has(error.code), recoverable: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: "TOOL_FAILED", message, retryable: false, recoverable: false };
}

/**
 * Whether a failure reaches a person: exhausted retries of a transient one, or one the agent cannot fix. A
 * recoverable failure (e.g. `ORDER_NOT_FOUND`) goes back to the model instead.
 */
export const isPermanent = (failure: ToolFailure): boolean => failure.retryable || !failure.recoverable;

/**
 * The failure of an attempt the run's stop signal ended (cancel, shutdown, lost lease), whatever the tool threw.
 * Retryable, so the ledger lets a resumed run execute the call again; the executor itself does not retry it.
 */
export function stoppedFailure(): ToolFailure {
  return { code: "TOOL_ABORTED", message: "the run was stopped while the tool ran; the attempt was abandoned", retryable: true, recoverable: false };
}

/**
 * Runs `fn` with a deadline. On timeout the signal is aborted (a tool that honours it stops early) and the call
 * rejects with a retryable `TOOL_TIMEOUT` without waiting: a tool that ignores the signal is abandoned, which is
 * safe for effect tools because a later attempt reuses the same idempotency key. `stop` (the run's stop signal)
 * aborts the tool's signal too, and rejects the same way with `TOOL_ABORTED`.
 */
export async function runWithTimeout<T>(fn: (signal: AbortSignal) => Promise<T>, timeoutMs: number, stop?: AbortSignal): Promise<T> {
  const stopped = () => new ToolError(stoppedFailure().code, stoppedFailure().message, { retryable: true });
  if (stop?.aborted) throw stopped();
  const controller = new AbortController();
  // Forwarded by hand rather than with AbortSignal.any: that leaves a listener on `stop` per attempt until garbage
  // collection, and one stop signal serves every tool call of a run (seen: MaxListenersExceededWarning).
  const signal = controller.signal;
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new ToolError("TOOL_TIMEOUT", `the tool did not finish within ${timeoutMs} ms`, { retryable: true });
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    if (stop) {
      onStop = () => {
        const error = stopped();
        controller.abort(error);
        reject(error);
      };
      stop.addEventListener("abort", onStop, { once: true });
    }
  });
  const work = Promise.resolve().then(() => fn(signal));
  // An abandoned attempt may still reject later; that must not become an unhandled rejection.
  work.catch(() => {});
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    if (onStop) stop?.removeEventListener("abort", onStop);
  }
}

/**
 * Delay before retry `retry` (1-based): `backoffMs * 2^(retry-1)`, with "equal jitter" (half fixed, half random)
 * so runs that failed together do not retry in lockstep.
 */
export function backoffDelay(backoffMs: number, retry: number, random: () => number = Math.random): number {
  const base = backoffMs * 2 ** (retry - 1);
  return Math.round(base / 2 + random() * (base / 2));
}
