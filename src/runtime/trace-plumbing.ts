import type { TraceEvent } from "../trace/types.js";

/** Live listeners first, then the caller's observer; an observer that throws must not break the run. */
export function publishToBoth(publish: (event: TraceEvent) => void, observe: (event: TraceEvent) => void): (event: TraceEvent) => void {
  return (event) => {
    publish(event);
    try {
      observe(event);
    } catch {
      // Metrics and similar observers are best-effort.
    }
  };
}

/** Waits for the tracing flushes, at most `ms`; a flush that fails or times out is given up, never thrown. */
export async function flushWithin(ms: number, flushes: Array<Promise<void> | undefined>): Promise<void> {
  const pending = flushes.filter((flush): flush is Promise<void> => flush !== undefined).map((flush) => flush.catch(() => {}));
  if (pending.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([Promise.all(pending), deadline]);
  clearTimeout(timer);
}
