import type { GraphDeps } from "../graph/deps.js";
import type { State } from "../graph/state.js";
import { isWardenError } from "../errors.js";
import type { Db } from "../store/db.js";
import { updateRun } from "../store/runs.js";
import { checkpointThreadId } from "./checkpoint-thread.js";
import { loadRunRecord, type RunRecord } from "./run-record.js";

/** The compiled runtime graph, as far as driving a run needs it. */
export interface DrivableGraph {
  invoke(input: never, config: Record<string, unknown>): Promise<unknown>;
  stream(input: never, config: Record<string, unknown>): Promise<AsyncIterable<unknown>>;
}

export interface DriveOptions {
  db: Db;
  deps: GraphDeps;
  graph: DrivableGraph;
  durability: "sync" | "async" | "exit";
  /** Stream mode: the trace is flushed after every step, so listeners see events while the run goes on. */
  live: boolean;
}

export interface RunTarget {
  tenant: string;
  runId: string;
  threadId: string;
  release: string;
}

/**
 * Runs the graph until it finishes or waits for an approval, then writes the outcome to the runs row.
 * Any error ends the run `failed` with a `run.failed` event; `Runtime.recover` can re-run it later.
 */
export async function driveRun(options: DriveOptions, target: RunTarget, input: unknown): Promise<RunRecord> {
  const { db, deps, graph } = options;
  const trace = deps.trace.forRun({ tenant: target.tenant, runId: target.runId, release: target.release });
  const config = { configurable: { thread_id: checkpointThreadId(target.tenant, target.threadId) }, durability: options.durability };
  try {
    let waiting = false;
    if (options.live) {
      const stream = await graph.stream(input as never, { ...config, streamMode: "updates", subgraphs: true });
      for await (const chunk of stream) {
        const update = (Array.isArray(chunk) ? chunk[1] : chunk) as Record<string, unknown>;
        if (update && "__interrupt__" in update) waiting = true;
        await trace.flush();
      }
    }
    const result = (options.live ? await finalValues(graph, config) : await graph.invoke(input as never, config)) as State & { __interrupt__?: unknown[] };
    waiting ||= Array.isArray(result.__interrupt__) && result.__interrupt__.length > 0;
    await updateRun(db, target.tenant, target.runId, {
      status: waiting ? "waiting_approval" : (result.status ?? "completed"),
      route: result.routed_to ?? null,
      answer: waiting ? null : (result.answer ?? null),
    });
  } catch (error) {
    const code = isWardenError(error) ? error.code : "RUN_FAILED";
    const message = error instanceof Error ? error.message : String(error);
    trace.emit("run.failed", { error_code: code, error_message: message });
    await updateRun(db, target.tenant, target.runId, { status: "failed", error: { code, message } });
  } finally {
    await deps.trace.release(target.runId);
  }
  return loadRunRecord(db, target.tenant, target.runId);
}

/** After a streamed run, the thread's current values (the stream only carried per-node updates). */
async function finalValues(graph: DrivableGraph, config: { configurable: { thread_id: string } }): Promise<unknown> {
  const snapshot = await (graph as unknown as { getState(config: unknown): Promise<{ values: unknown; tasks: Array<{ interrupts: unknown[] }> }> }).getState(config);
  const interrupts = snapshot.tasks.flatMap((task) => task.interrupts);
  return { ...(snapshot.values as object), ...(interrupts.length > 0 ? { __interrupt__: interrupts } : {}) };
}
