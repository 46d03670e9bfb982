import { describe, expect } from "vitest";
import { aiText, aiToolCall, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import type { Store } from "../../src/store/open-store.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, approver, codeOf, refundGoal, refundsFor, requester, runtimeOn } from "../helpers/runtime.js";

/** A model whose every call waits until `open()`: holds a run mid-step for as long as a test needs. */
function heldModel(reply = "Order A-1001 was delivered.") {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const model = new ScriptedChatModel(
    Array.from({ length: 8 }, (_, index) =>
      index === 0
        ? async () => {
            entered();
            await gate;
            return aiToolCall("lookup_order", { order_id: "A-1001" });
          }
        : aiText(reply),
    ),
  );
  return { model, open, inside };
}

const fast = { runs: { leaseMs: 2000, retryDelayMs: 10, pollMs: 100 } };

async function runRow(store: Store, runId: string) {
  const { rows } = await store.db.query<{ status: string; lease_owner: string | null; attempts: number; stop_requested: string | null }>(
    "SELECT status, lease_owner, attempts, stop_requested FROM runs WHERE tenant_id = 'acme' AND run_id = $1",
    [runId],
  );
  return rows[0]!;
}

const suites = onBackends({ runtime: fast });

describe.each(suites)("durable runs on $name", ({ it, backend }) => {
  it("a background run answers queued at once and finishes on its own; wait() returns it once stable", async ({ runtime }) => {
    const queued = await runtime.start({ ...requester, goal: "Where is my order A-1002?" }, { mode: "background" });
    expect(queued.status).toBe("queued");
    expect(queued.attempts).toBe(0);
    const done = await runtime.wait("acme", queued.run_id, 30_000);
    expect(done.status).toBe("completed");
    expect(done.attempts).toBe(1);
  });

  it("a run whose owner died mid-execution (its lease runs out) is resumed by another worker within the lease", async ({ store, runtime }) => {
    // A process that only creates runs: the start job waits in the queue.
    const creator = await runtimeOn(store, { ...fast, worker: false });
    const queued = await creator.start({ ...requester, goal: "Where is my order A-1002?" }, { mode: "background" });
    await creator.close();
    // A worker claimed it and died: its lease is live for one more second, then nobody renews it.
    await store.db.query(
      "UPDATE runs SET lease_owner = 'ghost', lease_token = lease_token + 1, attempts = 1, lease_expires_at = now() + interval '1 second' WHERE tenant_id = 'acme' AND run_id = $1",
      [queued.run_id],
    );
    const done = await runtime.wait("acme", queued.run_id, 30_000);
    expect(done.status).toBe("completed");
    expect(done.attempts).toBe(2);
    expect((await runRow(store, queued.run_id)).lease_owner).toBeNull();
  });

  it("an approval and the resume it causes commit together: a process that dies right after deciding loses nothing", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db);
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    expect(waiting.status).toBe("waiting_approval");
    // The decision is made by a process that executes nothing, and it goes away at once.
    const decider = await runtimeOn(store, { ...fast, worker: false });
    const answered = await decider.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" }, { waitMs: 0 });
    expect(["queued", "running", "completed"]).toContain(answered.status);
    await decider.close();
    const done = await runtime.wait("acme", waiting.run_id, 30_000);
    expect(done.status).toBe("completed");
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(1);
  });

  it("a run that keeps failing ends failed after its attempts with the reason; recover retries it", async ({ store }) => {
    let failing = true;
    const model = new ScriptedChatModel(
      Array.from({ length: 6 }, () => async () => {
        if (failing) throw new Error("model provider unavailable");
        return aiText("Damaged items can be refunded within 30 days.");
      }),
    );
    // A store of its own: a retry is a job any worker may take, and the other runtimes here have working models.
    const own = await backend.open();
    const flaky = await runtimeOn(own, { model, runs: { ...fast.runs, maxAttempts: 2 } });
    try {
      const failed = await flaky.start({ ...requester, goal: "What is your refund policy for damaged items?" });
      expect(failed.status).toBe("failed");
      expect(failed.attempts).toBe(2);
      expect(failed.error?.message).toContain("model provider unavailable");
      expect(model.calls).toHaveLength(2);
      const trace = await flaky.getTrace("acme", failed.run_id);
      expect(trace.filter((event) => event.kind === "run.failed")).toHaveLength(1);

      failing = false;
      const recovered = await flaky.recover("acme", failed.run_id);
      expect(recovered.status).not.toBe("failed");
      expect(recovered.attempts).toBe(1);
      expect(await codeOf(flaky.recover("acme", failed.run_id))).toBe("RUN_NOT_FAILED");
    } finally {
      await flaky.close();
      await own.close();
    }
  });

  it("cancels a running run at its next step boundary, and its tool receives an aborted signal", async ({ store }) => {
    const held = heldModel();
    const cancellable = await runtimeOn(store, { model: held.model, ...fast });
    try {
      const started = cancellable.start({ ...requester, goal: "Where is my order A-1001?" }, { waitMs: 30_000 });
      await held.inside;
      const runId = (await store.db.query<{ run_id: string }>("SELECT run_id FROM runs WHERE tenant_id = 'acme' AND status = 'running' AND lease_owner IS NOT NULL ORDER BY created_at DESC LIMIT 1")).rows[0]!.run_id;
      const cancelling = cancellable.cancel("acme", runId, { waitMs: 30_000 });
      await expect.poll(async () => (await runRow(store, runId)).stop_requested).toBe("cancel");
      held.open();
      const cancelled = await cancelling;
      expect(cancelled.status).toBe("cancelled");
      expect((await started).status).toBe("cancelled");
      // The model's tool call was never executed: the run stopped before the tools step.
      const trace = await cancellable.getTrace("acme", runId);
      expect(trace.some((event) => event.kind === "tool.call")).toBe(false);
      expect(await codeOf(cancellable.cancel("acme", runId))).toBe("RUN_FINISHED");
    } finally {
      held.open();
      await cancellable.close();
    }
  });

  it("an idempotency key names one run: a retry returns it, a different request with the key is refused", async ({ store, runtime }) => {
    const key = `idem-${Date.now()}`;
    const first = await runtime.start({ ...requester, goal: "Where is my order A-1002?", idempotencyKey: key });
    const again = await runtime.start({ ...requester, goal: "Where is my order A-1002?", idempotencyKey: key });
    expect(again.run_id).toBe(first.run_id);
    expect(again.status).toBe(first.status);
    expect(await codeOf(runtime.start({ ...requester, goal: "Where is my order A-1001?", idempotencyKey: key }))).toBe("IDEMPOTENCY_MISMATCH");
    const { rows } = await store.db.query("SELECT 1 FROM runs WHERE tenant_id = 'acme' AND idempotency_key = $1", [key]);
    expect(rows).toHaveLength(1);
  });

  it("the approver who repeats their own decision gets the run; another approver gets a conflict naming the winner", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db);
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    const approvalId = waiting.pending_approvals[0]!.approval_id;
    const done = await runtime.decide({ ...approver, approvalId, decision: "approve" });
    expect(done.status).toBe("completed");
    const repeated = await runtime.decide({ ...approver, approvalId, decision: "approve" });
    expect(repeated).toMatchObject({ run_id: done.run_id, status: "completed" });
    const other = await runtime.decide({ tenant: "acme", approver: "carol", roles: ["approver"], approvalId, decision: "reject" }).catch((error: unknown) => error);
    expect(other).toMatchObject({ code: "APPROVAL_CONFLICT", details: { status: "approved", decided_by: "bob" } });
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(1);
  });

  describe("double-texting (multitask_strategy)", () => {
    it("reject (the default) refuses a second run on a thread whose run waits; enqueue runs it after the first ends", async ({ store, runtime }) => {
      const orderId = await addOrder(store.db);
      const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
      expect(await codeOf(runtime.start({ ...requester, goal: "Where is my order A-1002?", threadId: waiting.thread_id }))).toBe("THREAD_BUSY");
      const queued = await runtime.start({ ...requester, goal: "Where is my order A-1002?", threadId: waiting.thread_id }, { multitaskStrategy: "enqueue", waitMs: 300 });
      expect(queued.status).toBe("queued");
      expect((await runtime.getRun("acme", queued.run_id)).status).toBe("queued");
      await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
      const second = await runtime.wait("acme", queued.run_id, 30_000);
      expect(second.status).toBe("completed");
      expect(new Date(second.updated_at).getTime()).toBeGreaterThanOrEqual(new Date((await runtime.getRun("acme", waiting.run_id)).updated_at).getTime());
    });

    it("interrupt stops a waiting run (its approval can no longer be given) and runs the new one on the thread", async ({ store, runtime }) => {
      const orderId = await addOrder(store.db);
      const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
      const next = await runtime.start({ ...requester, goal: "Where is my order A-1002?", threadId: waiting.thread_id }, { multitaskStrategy: "interrupt" });
      expect(next.status).toBe("completed");
      expect((await runtime.getRun("acme", waiting.run_id)).status).toBe("interrupted");
      expect(await codeOf(runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" }))).toBe("APPROVAL_CONFLICT");
      expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);
    });

    it("rollback stops the active run and discards what it wrote to the thread before the new run starts", async ({ store, runtime }) => {
      const first = await runtime.start({ ...requester, goal: "Where is my order A-1002?" });
      const before = await runtime.threadState("acme", first.thread_id);
      const orderId = await addOrder(store.db);
      const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId), threadId: first.thread_id });
      expect(waiting.status).toBe("waiting_approval");
      const next = await runtime.start({ ...requester, goal: "Where is my order A-1001?", threadId: first.thread_id }, { multitaskStrategy: "rollback" });
      expect((await runtime.getRun("acme", waiting.run_id)).status).toBe("rolled_back");
      expect(next.status).toBe("completed");
      // The thread went back to where the first run left it: the refund run's goal is not in the conversation.
      const history = await runtime.threadHistory("acme", first.thread_id, 100);
      expect(history.some((state) => state.values.run_id === waiting.run_id)).toBe(false);
      expect(history.some((state) => state.checkpoint_id === before.checkpoint_id)).toBe(true);
      const messages = (await runtime.threadState("acme", first.thread_id)).values.messages as Array<{ content: string }>;
      expect(messages.map((message) => message.content).join("\n")).not.toContain(refundGoal(orderId));
    });

    it("interrupt stops a running run at its next step boundary (interrupted), then the new run goes", async ({ store }) => {
      const held = heldModel();
      const busy = await runtimeOn(store, { model: held.model, ...fast });
      try {
        const first = busy.start({ ...requester, goal: "Where is my order A-1001?" }, { waitMs: 30_000 });
        await held.inside;
        const runId = (await store.db.query<{ run_id: string; thread_id: string }>("SELECT run_id, thread_id FROM runs WHERE tenant_id = 'acme' AND status = 'running' AND lease_owner IS NOT NULL ORDER BY created_at DESC LIMIT 1")).rows[0]!;
        const second = busy.start({ ...requester, goal: "Where is my order A-1002?", threadId: runId.thread_id }, { multitaskStrategy: "interrupt", waitMs: 30_000 });
        await expect.poll(async () => (await runRow(store, runId.run_id)).stop_requested).toBe("interrupt");
        held.open();
        expect((await first).status).toBe("interrupted");
        const after = await second;
        // It ran to its own end (the scripted model answers without evidence, so answer_check escalates it).
        expect(after.status).toBe("escalated");
        expect((await busy.getTrace("acme", after.run_id)).map((event) => event.kind)).toContain("run.finished");
      } finally {
        held.open();
        await busy.close();
      }
    });
  });

  it("a schedule starts one run per tick, however many times the tick is run", async ({ store, runtime }) => {
    const schedule = await runtime.schedules.create({ tenant: "acme", cron: "*/5 * * * *", goal: "Where is my order A-1002?", createdBy: "admin" });
    const later = new Date(Date.now() + 10 * 60_000);
    const [a, b] = await Promise.all([runtime.schedules.tick(later), runtime.schedules.tick(later)]);
    expect(a + b).toBe(1);
    expect(await runtime.schedules.tick(later)).toBe(0);
    const { rows } = await store.db.query<{ run_id: string; actor: string }>("SELECT run_id, actor FROM runs WHERE tenant_id = 'acme' AND actor = $1", [`schedule:${schedule.schedule_id}`]);
    expect(rows).toHaveLength(1);
    expect((await runtime.wait("acme", rows[0]!.run_id, 30_000)).status).toBe("completed");
    await runtime.schedules.delete("acme", schedule.schedule_id);
    expect(await codeOf(runtime.schedules.delete("acme", schedule.schedule_id))).toBe("SCHEDULE_NOT_FOUND");
    expect(await codeOf(runtime.schedules.create({ tenant: "acme", cron: "every minute", goal: "x", createdBy: "admin" }))).toBe("VALIDATION_FAILED");
  });

  it("lists runs newest first a page at a time, filtered by status and thread", async ({ runtime }) => {
    const a = await runtime.start({ ...requester, goal: "Where is my order A-1002?" });
    const b = await runtime.start({ ...requester, goal: "Where is my order A-1002?", threadId: a.thread_id });
    const c = await runtime.start({ ...requester, goal: "Where is my order A-1002?", threadId: a.thread_id });
    const first = await runtime.listRuns("acme", { threadId: a.thread_id, limit: 2 });
    expect(first.runs.map((run) => run.run_id)).toEqual([c.run_id, b.run_id]);
    expect(first.next_cursor).not.toBeNull();
    const second = await runtime.listRuns("acme", { threadId: a.thread_id, limit: 2, cursor: first.next_cursor! });
    expect(second.runs.map((run) => run.run_id)).toEqual([a.run_id]);
    expect(second.next_cursor).toBeNull();
    const completed = await runtime.listRuns("acme", { status: "completed", threadId: a.thread_id });
    expect(completed.runs).toHaveLength(3);
    expect((await runtime.listRuns("acme", { status: "failed", threadId: a.thread_id })).runs).toEqual([]);
    expect(await codeOf(runtime.listRuns("acme", { cursor: "bm90LWEtY3Vyc29y" }))).toBe("VALIDATION_FAILED");
    expect((await runtime.listRuns("globex", { threadId: a.thread_id })).runs).toEqual([]);
  });
});
