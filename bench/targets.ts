import { createRuntime } from "../src/runtime/create-runtime.js";
import type { Db } from "../src/store/db.js";
import type { BenchBackend } from "./backends.js";
import { assertOneRefundEach, runGovernedOnce, type OrderPool } from "./governed.js";
import type { BenchOptions } from "./options.js";
import { buildRawGraph, runRawOnce } from "./raw-graph.js";

/** Something the bench runs many times: a governed Warden run, or the raw LangGraph baseline. */
export interface Target {
  kind: "governed" | "raw";
  /** One complete run (start → interrupt → resume → done). `afterStart` runs between the halves. */
  run(afterStart?: () => void): Promise<void>;
  /** Statements sent so far, when the target's SQL goes through the backend's Db. */
  statements: (() => number) | undefined;
  /** Checks the runs since the last call left what they should (governed: one refund per run). */
  verify(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A governed target over `db` (the backend's Db, or a profiling wrapper of it) with the backend's kind of
 * checkpointer, the offline model (env {}) and the bench's durability.
 */
export async function createGovernedTarget(backend: BenchBackend, db: Db, orders: OrderPool, options: BenchOptions): Promise<Target> {
  const runtime = await createRuntime({ store: await backend.store(db), env: {}, durability: options.durability });
  return {
    kind: "governed",
    run: (afterStart) => runGovernedOnce(runtime, orders.next(), afterStart),
    statements: () => db.statementCount(),
    verify: () => assertOneRefundEach(backend.db, orders.take()),
    close: () => runtime.close(),
  };
}

/** The raw graph on a fresh checkpointer of the backend's kind (PostgresSaver on `db`'s pool, or MemorySaver). */
export async function createRawTarget(backend: BenchBackend, db: Db, options: BenchOptions): Promise<Target> {
  const graph = buildRawGraph(await backend.checkpointer(db));
  let label = 0;
  return {
    kind: "raw",
    run: (afterStart) => runRawOnce(graph, `R-${label++}`, options.durability, afterStart),
    statements: backend.sqlCheckpoints ? () => db.statementCount() : undefined,
    verify: async () => {}, // runRawOnce already throws unless the run stopped at the interrupt and completed
    close: async () => {},
  };
}
