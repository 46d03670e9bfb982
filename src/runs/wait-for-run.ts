import { EventEmitter } from "node:events";
import type { Queryable } from "../store/db.js";
import { STABLE_STATUSES } from "../contracts/run-status.js";
import { loadRunRecord, type RunRecord } from "./run-record.js";

/** Wakes waiters in this process when an execution here changed a run's status. */
export interface RunSettledSignal {
  notify(runId: string): void;
  /** Resolves at the next notify for `runId`, or after `ms`; `cancel` stops listening early. */
  next(runId: string, ms: number): { promise: Promise<void>; cancel(): void };
}

export function createRunSettledSignal(): RunSettledSignal {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    notify: (runId) => emitter.emit(runId),
    next(runId, ms) {
      let done!: () => void;
      const promise = new Promise<void>((resolve) => {
        done = () => {
          clearTimeout(timer);
          emitter.off(runId, done);
          resolve();
        };
      });
      const timer = setTimeout(done, ms);
      emitter.on(runId, done);
      return { promise, cancel: done };
    },
  };
}

export function isStable(record: RunRecord): boolean {
  return STABLE_STATUSES.includes(record.status);
}

/**
 * Waits until the run reaches a stable status (it waits for a person, or it is final) or `timeoutMs` passes, and
 * returns its record either way. An execution in this process wakes the wait at once; one in another process is
 * seen by polling the row (every `pollMs`).
 */
export async function waitForRun(
  ctx: { db: Queryable; settled: RunSettledSignal },
  tenant: string,
  runId: string,
  options: { timeoutMs: number; pollMs?: number; signal?: AbortSignal },
): Promise<RunRecord> {
  const deadline = Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? 500;
  for (;;) {
    // Listening before reading: a status change between the read and the wait still wakes it.
    const changed = ctx.settled.next(runId, Math.max(1, Math.min(pollMs, deadline - Date.now())));
    const record = await loadRunRecord(ctx.db, tenant, runId);
    if (isStable(record) || deadline - Date.now() <= 0 || options.signal?.aborted) {
      changed.cancel();
      return record;
    }
    const abort = () => changed.cancel();
    options.signal?.addEventListener("abort", abort, { once: true });
    await changed.promise;
    options.signal?.removeEventListener("abort", abort);
  }
}
