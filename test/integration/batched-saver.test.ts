import { randomUUID } from "node:crypto";
import { Command, END, interrupt, START, StateGraph, StateSchema, ReducedValue } from "@langchain/langgraph";
import type { BaseCheckpointSaver, StateSnapshot } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createCheckpointer, type CheckpointerKind } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/open-store.js";
import { backends } from "../helpers/backends.js";

/**
 * The batched saver must be indistinguishable from the stock PostgresSaver through LangGraph: the same graph
 * runs (parallel branches, a subgraph, an interrupt and its resume, a failing node and its retry) leave the same
 * state, history, pending writes and the same number of rows, on PGlite and on Postgres.
 */
const State = new StateSchema({
  log: new ReducedValue(z.array(z.string()).default(() => []), {
    inputSchema: z.array(z.string()),
    reducer: (current: string[], next: string[]) => [...current, ...next],
  }),
  topic: z.string().optional(),
  answer: z.string().optional(),
});

function buildGraph(saver: BaseCheckpointSaver, failures: { left: number }) {
  const child = new StateGraph(State)
    .addNode("child_step", () => ({ log: ["child"] }))
    .addEdge(START, "child_step")
    .addEdge("child_step", END)
    .compile();
  return new StateGraph(State)
    .addNode("start", (state) => ({ log: [`start:${state.topic ?? ""}`] }))
    .addNode("left", () => ({ log: ["left"] }))
    .addNode("right", () => ({ log: ["right"] }))
    .addNode("sub", child)
    .addNode("ask", () => {
      const reply = interrupt({ question: "go on?" }) as string;
      return { log: [`asked:${reply}`] };
    })
    .addNode("flaky", () => {
      if (failures.left > 0) {
        failures.left -= 1;
        throw new Error("transient failure");
      }
      return { log: ["flaky"], answer: "done" };
    })
    .addEdge(START, "start")
    .addEdge("start", "left")
    .addEdge("start", "right")
    .addEdge("left", "sub")
    .addEdge("right", "sub")
    .addEdge("sub", "ask")
    .addEdge("ask", "flaky")
    .addEdge("flaky", END)
    .compile({ checkpointer: saver });
}

/** What a user of LangGraph can observe of a snapshot, without ids and timestamps. */
function observable(snapshot: StateSnapshot) {
  return {
    values: snapshot.values,
    next: snapshot.next,
    source: snapshot.metadata?.source,
    step: snapshot.metadata?.step,
    tasks: snapshot.tasks.map((task) => ({ name: task.name, interrupts: task.interrupts.map((entry) => entry.value), error: task.error ? String(task.error) : undefined })),
    hasParent: snapshot.parentConfig !== undefined,
  };
}

interface Observation {
  interrupted: unknown;
  failure: string;
  final: unknown;
  history: unknown[];
  rows: { checkpoints: number; blobs: number; writes: number };
}

describe.each(backends)("batched checkpoint saver on $name", (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store?.close();
  });

  async function rowsOf(threadId: string) {
    const count = async (table: string) =>
      (await store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE thread_id = $1`, [threadId])).rows[0]!.n;
    return { checkpoints: await count("checkpoints"), blobs: await count("checkpoint_blobs"), writes: await count("checkpoint_writes") };
  }

  async function observe(kind: CheckpointerKind): Promise<Observation> {
    const saver = await createCheckpointer(store.db, kind);
    const failures = { left: 1 };
    const graph = buildGraph(saver, failures);
    const threadId = `saver-${kind}-${randomUUID()}`;
    const config = { configurable: { thread_id: threadId } };
    const first = await graph.invoke({ topic: "refunds" }, config);
    const interrupted = (first as { __interrupt__?: Array<{ value: unknown }> }).__interrupt__?.map((entry) => entry.value);
    // The resume fails once in `flaky` (its error is a pending write), then a null input retries that step.
    const failure = await graph.invoke(new Command({ resume: "yes" }), config).then(
      () => "no failure",
      (error: unknown) => String(error),
    );
    const final = await graph.invoke(null, config);
    const history: unknown[] = [];
    for await (const snapshot of graph.getStateHistory(config)) history.push(observable(snapshot));
    return { interrupted, failure, final, history, rows: await rowsOf(threadId) };
  }

  it("leaves the same state, history and rows as the stock saver for the same runs", async () => {
    const stock = await observe("stock");
    const batched = await observe("batched");
    expect(stock.interrupted).toEqual([{ question: "go on?" }]);
    expect(stock.failure).toContain("transient failure");
    expect(stock.final).toMatchObject({ answer: "done", log: expect.arrayContaining(["left", "right", "child", "asked:yes", "flaky"]) });
    expect(stock.history.length).toBeGreaterThan(5);
    expect(batched).toEqual(stock);
  });

  it("stores pending writes like the stock saver, including repeated special writes and re-puts of one task", async () => {
    const results: Record<string, unknown> = {};
    for (const kind of ["stock", "batched"] as const) {
      const saver = await createCheckpointer(store.db, kind);
      const threadId = `writes-${kind}-${randomUUID()}`;
      const graph = buildGraph(saver, { left: 0 });
      await graph.invoke({ topic: "t" }, { configurable: { thread_id: threadId } });
      const tuple = await saver.getTuple({ configurable: { thread_id: threadId } });
      const config = tuple!.config;
      // Regular writes: a second put of the same task keeps the first rows (DO NOTHING).
      await saver.putWrites(config, [["log", ["a"]], ["answer", "x"]], "task-1");
      await saver.putWrites(config, [["log", ["b"]], ["answer", "y"]], "task-1");
      // Special writes only: the last one wins, also within one call (the stock saver upserts one by one).
      await saver.putWrites(config, [["__error__", "first"], ["__error__", "second"]], "task-2");
      await saver.putWrites(config, [["__interrupt__", [{ value: "one" }]]], "task-3");
      await saver.putWrites(config, [["__interrupt__", [{ value: "two" }]]], "task-3");
      await saver.putWrites(config, [], "task-4");
      const after = await saver.getTuple(config);
      const pending = (after!.pendingWrites ?? []).filter(([task]) => task !== "" && task.startsWith("task-"));
      results[kind] = pending.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    }
    expect(results.batched).toEqual(results.stock);
    expect(results.stock).toEqual(
      expect.arrayContaining([
        ["task-1", "log", ["a"]],
        ["task-1", "answer", "x"],
        ["task-2", "__error__", "second"],
        ["task-3", "__interrupt__", [{ value: "two" }]],
      ]),
    );
  });

  it("sends one statement per checkpoint and per set of writes", async () => {
    const counted = async (kind: CheckpointerKind) => {
      const saver = await createCheckpointer(store.db, kind);
      const before = store.db.statementCount();
      await buildGraph(saver, { left: 0 }).invoke({ topic: "t" }, { configurable: { thread_id: `count-${kind}-${randomUUID()}` } });
      return store.db.statementCount() - before;
    };
    const stock = await counted("stock");
    const batched = await counted("batched");
    // Interrupted at `ask`: the stock saver wraps every put in BEGIN/COMMIT with one INSERT per blob or write.
    expect(batched).toBeLessThan(stock / 2);
  });
});
