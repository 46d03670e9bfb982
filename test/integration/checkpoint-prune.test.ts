import { afterAll, describe, expect } from "vitest";
import { aiText, aiToolCall, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import { checkpointThreadId } from "../../src/store/checkpoint-thread.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import type { RunRecord } from "../../src/runs/run-record.js";
import type { Store } from "../../src/store/open-store.js";
import { pruneCheckpoints, retentionCutoff, type PruneCounts } from "../../src/store/prune-checkpoints.js";
import { runtimeChannels } from "../../src/kernel/state.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, approver, refundGoal, refundsFor, requester, runtimeOn } from "../helpers/runtime.js";

interface Rows {
  checkpoints: number;
  rootCheckpoints: number;
  blobs: number;
  writes: number;
  /** Channels the latest root checkpoint references (the blobs keep_latest keeps). */
  latestChannels: number;
}

const NOTHING: PruneCounts = { threads: 0, checkpoints: 0, blobs: 0, writes: 0 };
const retention = () => retentionCutoff(30);

async function rowsOf(store: Store, threadId: string): Promise<Rows> {
  const { rows } = await store.db.query<Rows>(
    `SELECT
       (SELECT count(*) FROM checkpoints WHERE thread_id = $1)::int AS "checkpoints",
       (SELECT count(*) FROM checkpoints WHERE thread_id = $1 AND checkpoint_ns = '')::int AS "rootCheckpoints",
       (SELECT count(*) FROM checkpoint_blobs WHERE thread_id = $1)::int AS "blobs",
       (SELECT count(*) FROM checkpoint_writes WHERE thread_id = $1)::int AS "writes",
       (SELECT count(*) FROM checkpoints c, jsonb_object_keys(c.checkpoint -> 'channel_versions') AS channel
        WHERE c.thread_id = $1 AND c.checkpoint_ns = '' AND c.checkpoint_id =
          (SELECT max(checkpoint_id) FROM checkpoints WHERE thread_id = $1 AND checkpoint_ns = ''))::int AS "latestChannels"`,
    [checkpointThreadId("acme", threadId)],
  );
  return rows[0]!;
}

/** Makes every run of the thread look last touched `days` ago. */
async function age(store: Store, threadId: string, days: number): Promise<void> {
  await store.db.query("UPDATE runs SET updated_at = now() - make_interval(days => $3::int) WHERE tenant_id = $1 AND thread_id = $2", ["acme", threadId, days]);
}

/** A finished refund: requested, approved, issued. */
async function approvedRefund(runtime: Runtime, store: Store, threadId: string): Promise<RunRecord> {
  const orderId = await addOrder(store.db);
  const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId), threadId });
  expect(waiting.status).toBe("waiting_approval");
  const done = await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
  expect(done.status).toBe("completed");
  return done;
}

const conversation = (messages: Array<{ getType(): string; content: unknown }>) => messages.map((message) => `${message.getType()}: ${String(message.content)}`);

// One store per describe: delete_thread's counts must not see keep_latest's aged threads.
const keepLatest = onBackends();
const deleteThread = onBackends();

describe.each(keepLatest)("checkpoint retention, keep_latest, on $name", ({ it }) => {
  const extra: Runtime[] = [];
  afterAll(async () => {
    for (const created of extra) await created.close();
  });

  it("keeps one root checkpoint of a finished thread, its state reads the same, and a new run continues the conversation", async ({ store, runtime }) => {
    const model = new ScriptedChatModel([
      aiToolCall("lookup_order", { order_id: "A-1001" }),
      aiText("Order A-1001 was delivered."),
      aiText("As I said, order A-1001 was delivered."),
    ]);
    const agent = await runtimeOn(store, { model });
    extra.push(agent);
    const chat = await agent.start({ ...requester, goal: "Where is my order A-1001?", threadId: "keep-chat" });
    expect(chat.status).toBe("completed");
    const refund = await approvedRefund(runtime, store, "keep-refund");

    const threads = ["keep-chat", "keep-refund"];
    const states = await Promise.all(threads.map((thread) => runtime.threadState("acme", thread)));
    const before = await Promise.all(threads.map((thread) => rowsOf(store, thread)));
    for (const rows of before) expect(rows.checkpoints).toBeGreaterThan(1);
    for (const thread of threads) await age(store, thread, 40);

    // batchSize 1: each thread in its own transaction, so the batching loop is exercised.
    const counts = await pruneCheckpoints(store.db, { channels: runtimeChannels(), olderThan: retention(), batchSize: 1 });

    const after = await Promise.all(threads.map((thread) => rowsOf(store, thread)));
    for (const rows of after) {
      expect(rows).toMatchObject({ checkpoints: 1, rootCheckpoints: 1, writes: 0 });
      expect(rows.blobs).toBe(rows.latestChannels);
    }
    const sum = (pick: (rows: Rows) => number, rows: Rows[]) => rows.reduce((total, row) => total + pick(row), 0);
    expect(counts).toEqual({
      threads: 2,
      checkpoints: sum((rows) => rows.checkpoints, before) - 2,
      blobs: sum((rows) => rows.blobs, before) - sum((rows) => rows.blobs, after),
      writes: sum((rows) => rows.writes, before),
    });

    // The state reads exactly as before: answer, status, refund and the whole conversation.
    const pruned = await Promise.all(threads.map((thread) => runtime.threadState("acme", thread)));
    expect(pruned).toEqual(states);
    expect(pruned[0]!.values).toMatchObject({ status: "completed", answer: chat.answer });
    expect(pruned[0]!.values.messages).toHaveLength((states[0]!.values.messages as unknown[]).length);
    expect((pruned[0]!.values.messages as unknown[]).length).toBeGreaterThanOrEqual(4); // human, tool call, tool, answer
    expect(pruned[1]!.values).toMatchObject({ status: "completed", answer: refund.answer });
    expect(Object.values(pruned[1]!.values.effects as object)).toEqual([expect.objectContaining({ tool: "issue_refund", status: "completed" })]);

    expect(await pruneCheckpoints(store.db, { channels: runtimeChannels(), olderThan: retention() })).toEqual(NOTHING);

    // A new run on the pruned thread gets the earlier conversation: the model sees it before the new question.
    const next = await agent.start({ ...requester, goal: "Remind me: where was order A-1001?", threadId: "keep-chat" });
    expect(next.thread_id).toBe("keep-chat");
    const seen = conversation(model.calls[2]!.messages);
    const earlier = conversation(model.calls[1]!.messages).filter((line) => !line.startsWith("system:"));
    expect(seen.filter((line) => !line.startsWith("system:"))).toEqual([...earlier, "ai: Order A-1001 was delivered.", "human: Remind me: where was order A-1001?"]);
    model.assertComplete();
  });

  it("leaves a thread waiting for approval untouched, however old; it is approved afterwards and refunds once", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db);
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId), threadId: "keep-waiting" });
    expect(waiting.status).toBe("waiting_approval");
    const before = await rowsOf(store, "keep-waiting");
    await age(store, "keep-waiting", 400);

    expect(await pruneCheckpoints(store.db, { channels: runtimeChannels(), olderThan: retention() })).toEqual(NOTHING);
    expect(await rowsOf(store, "keep-waiting")).toEqual(before);

    const done = await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    expect(done.status).toBe("completed");
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(1);
  });

  it("leaves a failed run's thread untouched, so the run can still be recovered from its checkpoint", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db);
    // One attempt: the crash ends the run failed instead of being retried.
    const crashing = await runtimeOn(store, { runs: { maxAttempts: 1 } });
    extra.push(crashing);
    const waiting = await crashing.start({ ...requester, goal: refundGoal(orderId), threadId: "keep-failed" });
    // The refund step crashes once after the provider answered: the run fails with the effect on the ledger.
    const executor = crashing.deps.executor;
    const execute = executor.execute.bind(executor);
    executor.execute = async (call, scope) => {
      const result = await execute(call, scope);
      if (call.name !== "issue_refund") return result;
      executor.execute = execute;
      throw new Error("simulated crash after the payment provider answered");
    };
    const failed = await crashing.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    expect(failed.status).toBe("failed");
    const before = await rowsOf(store, "keep-failed");
    await age(store, "keep-failed", 400);

    expect(await pruneCheckpoints(store.db, { channels: runtimeChannels(), olderThan: retention() })).toEqual(NOTHING);
    expect(await rowsOf(store, "keep-failed")).toEqual(before);

    const recovered = await runtime.recover("acme", failed.run_id);
    expect(recovered.status).toBe("completed");
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(1);
  });

  it("leaves a finished thread whose last run is newer than the cutoff untouched", async ({ store, runtime }) => {
    await approvedRefund(runtime, store, "keep-recent");
    await age(store, "keep-recent", 29);
    const before = await rowsOf(store, "keep-recent");

    expect(await pruneCheckpoints(store.db, { channels: runtimeChannels(), olderThan: retention() })).toEqual(NOTHING);
    expect(await rowsOf(store, "keep-recent")).toEqual(before);
  });
});

describe.each(deleteThread)("checkpoint retention, delete_thread, on $name", ({ it }) => {
  it("deletes every checkpoint row of old finished threads; their runs stay and their state reads empty", async ({ store, runtime }) => {
    await approvedRefund(runtime, store, "gone-1");
    await approvedRefund(runtime, store, "gone-2");
    await approvedRefund(runtime, store, "stays");
    await age(store, "gone-1", 40);
    await age(store, "gone-2", 31);
    const before = await Promise.all(["gone-1", "gone-2"].map((thread) => rowsOf(store, thread)));
    const recent = await rowsOf(store, "stays");

    const counts = await pruneCheckpoints(store.db, { channels: runtimeChannels(), olderThan: retention(), mode: "delete_thread", batchSize: 1 });

    expect(counts).toEqual({
      threads: 2,
      checkpoints: before[0]!.checkpoints + before[1]!.checkpoints,
      blobs: before[0]!.blobs + before[1]!.blobs,
      writes: before[0]!.writes + before[1]!.writes,
    });
    for (const thread of ["gone-1", "gone-2"]) {
      expect(await rowsOf(store, thread)).toEqual({ checkpoints: 0, rootCheckpoints: 0, blobs: 0, writes: 0, latestChannels: 0 });
      // The thread is still the tenant's (its runs stay), with no state: LangGraph's answer for an unknown thread.
      expect(await runtime.threadState("acme", thread)).toEqual({ thread_id: thread, values: {}, next: [], checkpoint_id: null });
    }
    expect(await rowsOf(store, "stays")).toEqual(recent);
    expect(await pruneCheckpoints(store.db, { channels: runtimeChannels(), olderThan: retention(), mode: "delete_thread" })).toEqual(NOTHING);

    // A new run on a deleted thread starts from nothing, like a new thread.
    const orderId = await addOrder(store.db);
    const again = await runtime.start({ ...requester, goal: refundGoal(orderId), threadId: "gone-1" });
    expect(again.status).toBe("waiting_approval");
  });
});
