import type { RunRow } from "../store/runs.js";
import type { RunTrace } from "../trace/types.js";

/** The interrupt a waiting run holds (the approval node's `interrupt()` payload carries the approval id). */
export interface PendingInterrupt {
  value?: unknown;
}

export interface ThreadSnapshot {
  values: unknown;
  next: readonly string[];
  tasks: ReadonlyArray<{ interrupts?: readonly PendingInterrupt[] }>;
}

/** The compiled runtime graph, as far as executing a run needs it. */
export interface ExecutableGraph {
  invoke(input: never, config: Record<string, unknown>): Promise<unknown>;
  stream(input: never, config: Record<string, unknown>): Promise<AsyncIterable<unknown>>;
  getState(config: { configurable: { thread_id: string } }): Promise<ThreadSnapshot>;
}

export interface GraphResult {
  values: Record<string, unknown>;
  /** The run stopped at an approval interrupt. */
  waiting: boolean;
}

export function interruptsOf(snapshot: ThreadSnapshot): PendingInterrupt[] {
  return snapshot.tasks.flatMap((task) => [...(task.interrupts ?? [])]);
}

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

/** Observers in order; their graph configs merged (callback lists and metadata concatenated). */
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

/**
 * Runs the graph on a thread until it finishes or waits for an approval. `live`: stream step by step and flush the
 * run's trace after every step, so listeners in this process see events while the run goes on (each flush is a
 * statement, so only when someone listens).
 */
export async function runGraph(
  graph: ExecutableGraph,
  options: {
    checkpointThread: string;
    durability: "sync" | "async" | "exit";
    live: boolean;
    trace: RunTrace;
    /** Extra invoke config from a run observer (callbacks, runName, metadata). */
    config?: Record<string, unknown>;
  },
  input: unknown,
): Promise<GraphResult> {
  const config = { ...options.config, configurable: { thread_id: options.checkpointThread }, durability: options.durability };
  if (!options.live) {
    const result = (await graph.invoke(input as never, config)) as Record<string, unknown> & { __interrupt__?: unknown[] };
    const waiting = Array.isArray(result.__interrupt__) && result.__interrupt__.length > 0;
    return { values: result, waiting };
  }
  const stream = await graph.stream(input as never, { ...config, streamMode: "updates", subgraphs: true });
  for await (const _chunk of stream) await options.trace.flush();
  // The stream carried per-node updates; the outcome is the thread's state now.
  const snapshot = await graph.getState({ configurable: { thread_id: options.checkpointThread } });
  return { values: (snapshot.values ?? {}) as Record<string, unknown>, waiting: interruptsOf(snapshot).length > 0 };
}
