import type { RunRow } from "../store/runs.js";
import type { RunTrace } from "../trace/types.js";
import type { RunObserver } from "../trace/run-observer.js";

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
