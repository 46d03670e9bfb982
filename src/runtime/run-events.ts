import type { TraceEvent } from "../trace/types.js";

/** Routes stored trace events to the listeners of their run (live streaming of one run's events). */
export interface RunEventHub {
  publish(event: TraceEvent): void;
  subscribe(runId: string, listener: (event: TraceEvent) => void): () => void;
  /** Whether anyone in this process listens to the run (then it is executed step by step, flushing as it goes). */
  has(runId: string): boolean;
}

export function createRunEventHub(): RunEventHub {
  const listeners = new Map<string, Set<(event: TraceEvent) => void>>();
  return {
    publish(event) {
      for (const listener of listeners.get(event.run_id) ?? []) {
        try {
          listener(event);
        } catch {
          // A broken listener (a closed socket) must not break the run.
        }
      }
    },
    has: (runId) => listeners.has(runId),
    subscribe(runId, listener) {
      const set = listeners.get(runId) ?? new Set();
      set.add(listener);
      listeners.set(runId, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(runId);
      };
    },
  };
}
