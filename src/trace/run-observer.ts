import type { RunRow } from "../store/runs.js";

/** One execution of a run: its first, the resume after an approval, or a continuation after a crash or a retry. */
export interface RunExecution {
  run: RunRow;
  kind: "start" | "resume" | "continue";
}

/** How an execution ended, as far as observers report it. */
export interface ExecutionResult {
  /** The run's status after this execution (`waiting_approval`, `completed`, ...; `retrying` when another attempt follows). */
  status: string;
  route: string | null;
  answer?: string | null;
  error?: { code: string; message: string };
}

/** An execution being observed: extra graph config (callbacks, run name, metadata) and its end. */
export interface RunObservation {
  config?: Record<string, unknown>;
  end(result: ExecutionResult): void | Promise<void>;
}

/**
 * Sees every execution of a run in this process (LangSmith tracing, OTLP export). Absent when nothing observes:
 * the run then pays for nothing.
 */
export interface RunObserver {
  begin(execution: RunExecution): RunObservation;
}

const observers = new WeakMap<object, RunObserver>();

/** Attaches an observer to the executions that use `deps` (the runtime's graph deps). */
export function observeRuns(deps: object, observer: RunObserver | undefined): void {
  if (observer) observers.set(deps, observer);
  else observers.delete(deps);
}

export function runObserverOf(deps: object): RunObserver | undefined {
  return observers.get(deps);
}

/** Observers in sequence; their graph configs merged (callback lists and metadata concatenated). */
export function combineRunObservers(list: Array<RunObserver | undefined>): RunObserver | undefined {
  const present = list.filter((observer): observer is RunObserver => observer !== undefined);
  if (present.length <= 1) return present[0];
  return {
    begin(execution) {
      const observations = present.map((observer) => observer.begin(execution));
      const config: Record<string, unknown> = {};
      for (const observation of observations) {
        for (const [key, value] of Object.entries(observation.config ?? {})) {
          const previous = config[key];
          if (Array.isArray(previous) && Array.isArray(value)) config[key] = [...previous, ...value];
          else if (key === "metadata" && previous && value) config[key] = { ...(previous as object), ...(value as object) };
          else config[key] = value;
        }
      }
      return {
        config,
        async end(result) {
          await Promise.all(observations.map(async (observation) => observation.end(result)));
        },
      };
    },
  };
}
