import { describe, expect } from "vitest";
import type { TraceEvent } from "../../src/trace/types.js";
import { aiText, aiToolCall, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, approver, codeOf, refundGoal, refundsFor, requester, runtimeOn } from "../helpers/runtime.js";


const suites = onBackends();

describe.each(suites)("runtime facade on $name", ({ it }) => {
  it("streams a run's events to a listener while it runs, in seq order, and they match the stored trace", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db);
    const seen: TraceEvent[] = [];
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) }, { onEvent: (event) => seen.push(event) });
    expect(waiting.status).toBe("waiting_approval");
    const stored = await runtime.getTrace("acme", waiting.run_id);
    expect(seen.map((event) => event.seq)).toEqual(stored.map((event) => event.seq));
    const resumed: TraceEvent[] = [];
    const done = await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" }, { onEvent: (event) => resumed.push(event) });
    expect(done.status).toBe("completed");
    expect(resumed[0]!.seq).toBe(stored.length + 1);
    expect(resumed.map((event) => event.kind)).toContain("run.finished");
  });

  it("close() hands a run in progress back at its next step boundary; another runtime finishes it, without repeating the step", async ({ store }) => {
    let modelEntered!: () => void;
    const entered = new Promise<void>((resolve) => (modelEntered = resolve));
    let releaseModel!: () => void;
    const released = new Promise<void>((resolve) => (releaseModel = resolve));
    const model = new ScriptedChatModel([
      aiToolCall("lookup_order", { order_id: "A-1001" }),
      async () => {
        modelEntered();
        await released; // the model is mid-call when close() starts
        return aiText("Order A-1001 was delivered.");
      },
    ]);
    const closing = await runtimeOn(store, { model });
    const running = closing.start({ ...requester, goal: "Where is my order A-1001?" });
    await entered;
    let closed = false;
    const close = closing.close().then(() => (closed = true));
    expect(await codeOf(closing.start({ ...requester, goal: "Where is my order A-1002?" }))).toBe("STORE_UNAVAILABLE");
    // The waiting request answers at once with the run as it is; close() waits for the model call in flight.
    const record = await running;
    expect(record.status).toBe("running");
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    releaseModel();
    await close;
    const { rows } = await store.db.query<{ status: string; lease_owner: string | null }>("SELECT status, lease_owner FROM runs WHERE tenant_id = 'acme' AND run_id = $1", [record.run_id]);
    // Handed back: in progress, owned by nobody, with a job waiting for the next worker.
    expect(rows).toEqual([{ status: "running", lease_owner: null }]);

    const next = await runtimeOn(store, { model });
    try {
      const done = await next.wait("acme", record.run_id, 30_000);
      expect(done.status).toBe("completed");
      // The model turn that finished before the handback is not asked again: two scripted turns, two calls.
      expect(model.calls).toHaveLength(2);
      expect(done.answer).toContain("delivered");
    } finally {
      await next.close();
    }
  });

  it("refuses a second run on a thread whose run is waiting, and allows it after the first finishes", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db);
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    expect(await codeOf(runtime.start({ ...requester, goal: "Where is A-1001?", threadId: waiting.thread_id }))).toBe("THREAD_BUSY");
    await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    const followUp = await runtime.start({ ...requester, goal: "Where is my order A-1001?", threadId: waiting.thread_id });
    expect(followUp.status).toBe("completed");
    expect(followUp.thread_id).toBe(waiting.thread_id);
  });

  it("cancels a waiting run: its approval can no longer be approved and nothing is refunded", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db);
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    const cancelled = await runtime.cancel("acme", waiting.run_id);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.pending_approvals).toEqual([]);
    expect(await codeOf(runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" }))).toBe("APPROVAL_CONFLICT");
    expect(await codeOf(runtime.cancel("acme", waiting.run_id))).toBe("RUN_FINISHED");
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);
  });

  it("reads a thread's state and history for its tenant only", async ({ runtime }) => {
    const record = await runtime.start({ ...requester, goal: "Where is my order A-1001?" });
    const state = await runtime.threadState("acme", record.thread_id);
    expect(state.values).toMatchObject({ run_id: record.run_id, status: "completed", routed_to: "support_agent" });
    expect((state.values.messages as Array<{ type: string }>).map((message) => message.type)).toEqual(["system", "human", "ai", "tool", "ai"]);
    expect(state.next).toEqual([]);
    const history = await runtime.threadHistory("acme", record.thread_id, 3);
    expect(history).toHaveLength(3);
    expect(history[0]!.checkpoint_id).toBe(state.checkpoint_id);
    expect(await codeOf(runtime.threadState("globex", record.thread_id))).toBe("THREAD_NOT_FOUND");
    expect(await codeOf(runtime.getTrace("globex", record.run_id))).toBe("RUN_NOT_FOUND");
    expect(await runtime.listApprovals("globex")).toEqual([]);
  });
});
