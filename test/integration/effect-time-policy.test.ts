import { describe, expect } from "vitest";
import { aiToolCall, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import type { Store } from "../../src/store/open-store.js";
import { effectIdFor, hashArgs } from "../../src/tools/args-hash.js";
import { createEffectLedger } from "../../src/tools/effect-ledger.js";
import { createToolExecutor } from "../../src/tools/executor.js";
import { createSupportRegistry, issueRefund } from "../../src/packs/support/tools/index.js";
import type { Authorization, ToolCallScope } from "../../src/tools/types.js";
import { validateTraceEvent } from "../../src/trace/event-schema.js";
import type { RunTrace, TraceEvent, TraceKind } from "../../src/trace/types.js";
import { onBackends } from "../helpers/fixtures.js";
import { allowAllPolicy, refundsPolicy } from "../helpers/effect-policy.js";
import { addOrder, approver, refundGoal, refundsFor, requester } from "../helpers/runtime.js";

const RACERS = 50;

/** A run's trace, each event checked against the published schema. */
async function traceOf(runtime: Runtime, runId: string): Promise<TraceEvent[]> {
  const events = await runtime.getTrace("acme", runId);
  for (const event of events) expect(validateTraceEvent(event), `${event.kind} #${event.seq}`).toMatchObject({ ok: true });
  return events;
}

const effectDecisions = (events: TraceEvent[]) =>
  events.filter((event) => event.kind === "policy.decision" && event.attributes.phase === "effect").map((event) => event.attributes);

/** A RunTrace that keeps emitted events in memory (executor-level tests). */
function memoryTrace(runId: string): RunTrace & { emitted: Array<{ kind: TraceKind; attributes: Record<string, unknown> }> } {
  const emitted: Array<{ kind: TraceKind; attributes: Record<string, unknown> }> = [];
  return {
    scope: { tenant: "acme", runId, release: "test" },
    emitted,
    emit: (kind, attributes) => void emitted.push({ kind, attributes: { ...attributes } }),
    async flush() {},
    async events() {
      return [];
    },
  };
}

const approvalFor = (args: unknown): Authorization => ({ kind: "approval", approvalId: "apr_test", approver: "bob", argsHash: hashArgs(args) });

function scopeFor(runId: string, overrides: Partial<ToolCallScope> = {}): ToolCallScope & { trace: ReturnType<typeof memoryTrace> } {
  const trace = memoryTrace(runId);
  return { tenant: "acme", actor: "alice", runId, permissions: ["refunds:issue", "orders:read"], origin: "workflow", node: "issue_refund", ...overrides, trace };
}

const suites = onBackends();

const effectsOf = async (store: Store, runId: string) => createEffectLedger(store.db).list("acme", runId);

describe.each(suites)("policy decided again at the moment of the effect on $name", ({ it, backend }) => {

  it(`${RACERS} approved refunds of one order, approved all at once, issue exactly one refund; the others end denied and say why`, async ({ store, runtime }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const waiting = [];
    for (let index = 0; index < RACERS; index++) waiting.push(await runtime.start({ ...requester, goal: refundGoal(orderId) }));
    expect(waiting.every((record) => record.status === "waiting_approval")).toBe(true);
    expect(new Set(waiting.map((record) => record.thread_id)).size).toBe(RACERS);

    const done = await Promise.all(
      waiting.map((record) => runtime.decide({ ...approver, approvalId: record.pending_approvals[0]!.approval_id, decision: "approve" })),
    );
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(1);
    const completed = done.filter((record) => record.status === "completed");
    const denied = done.filter((record) => record.status === "denied");
    expect(completed).toHaveLength(1);
    expect(denied).toHaveLength(RACERS - 1);

    for (const record of denied) {
      // The approver gets the run back: ended, with the customer-facing reason in the answer, and no completed effect.
      expect(record.answer).toContain("This order already has a refund of 42, so it cannot be refunded again.");
      expect(record.answer).not.toContain("already has 42 refunded");
      expect(record.effects).toEqual([expect.objectContaining({ tool: "issue_refund", status: "failed" })]);
      const events = await traceOf(runtime, record.run_id);
      expect(effectDecisions(events)).toEqual([
        expect.objectContaining({ point: "tool_call", effect: "deny", rule: "refund-already-issued", proposed_by: "workflow", "gen_ai.tool.name": "issue_refund" }),
      ]);
      const refundCall = events.find((event) => event.kind === "tool.call" && event.attributes["gen_ai.tool.name"] === "issue_refund");
      expect(refundCall?.attributes).toMatchObject({ status: "denied", error_code: "POLICY_DENIED" });
      const [effect] = await effectsOf(store, record.run_id);
      expect(effect).toMatchObject({ status: "failed", error: { code: "POLICY_DENIED", retryable: false, denial: { rule: "refund-already-issued", policy: "refunds@1" } } });
    }
    // The requester, reading the run later, sees the same outcome.
    const read = await runtime.getRun("acme", denied[0]!.run_id);
    expect(read).toMatchObject({ status: "denied", answer: denied[0]!.answer });

    const winner = await traceOf(runtime, completed[0]!.run_id);
    expect(effectDecisions(winner)).toEqual([expect.objectContaining({ effect: "require_approval", rule: "refund-requires-approval" })]);
  }, 240_000);

  it("an order total lowered after the approval is checked at the effect: the refund is denied, not issued, and remembered as denied", async ({ store, runtime }) => {
    const subject = `cust-effect-${process.pid}-${backend.name}`;
    await runtime.memory.setConsent("acme", subject, true, { actor: "alice", roles: ["requester"] });
    const orderId = await addOrder(store.db, { total: 42 });
    const waiting = await runtime.start({ ...requester, subject, goal: refundGoal(orderId) });
    expect(waiting.status).toBe("waiting_approval");
    await store.db.query("UPDATE orders SET total_cents = 3000 WHERE tenant_id = 'acme' AND order_id = $1", [orderId]);

    const done = await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    expect(done.status).toBe("denied");
    expect(done.answer).toContain("A refund of 42 would be more than the order total of 30.");
    expect(done.answer).not.toContain("exceeds the order total");
    expect(await refundsFor(store.db, "acme", orderId)).toEqual([]);
    const events = await traceOf(runtime, done.run_id);
    expect(effectDecisions(events)).toEqual([expect.objectContaining({ effect: "deny", rule: "refund-over-order-total" })]);
    // The draft-time decision is still there, told apart by its phase.
    expect(events.some((event) => event.kind === "policy.decision" && event.attributes.phase === "draft" && event.attributes.rule === "refund-requires-approval")).toBe(true);
    const { rows } = await store.db.query<{ content: string }>("SELECT content FROM memories WHERE tenant_id = 'acme' AND subject = $1", [subject]);
    // Remembered in customer wording: a later answer may repeat the memory to the customer.
    expect(rows.map((row) => row.content)).toEqual([expect.stringMatching(new RegExp(`order ${orderId} .*: denied by policy when it was to be issued \\(A refund of 42 would be more than the order total of 30\\)`))]);
  });

  it("two partial refunds of one order approved at the same time: one is issued, the other is denied at the effect", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db, { total: 100 });
    const first = await runtime.start({ ...requester, goal: "Please refund part of this order.", context: { order_id: orderId, amount: 30 } });
    const second = await runtime.start({ ...requester, goal: "Please refund part of this order.", context: { order_id: orderId, amount: 50 } });
    expect([first.status, second.status]).toEqual(["waiting_approval", "waiting_approval"]);
    const done = await Promise.all(
      [first, second].map((record) => runtime.decide({ ...approver, approvalId: record.pending_approvals[0]!.approval_id, decision: "approve" })),
    );
    expect(done.map((record) => record.status).sort()).toEqual(["completed", "denied"]);
    const refunds = await refundsFor(store.db, "acme", orderId);
    expect(refunds).toHaveLength(1);
    const loser = done.find((record) => record.status === "denied")!;
    expect(effectDecisions(await traceOf(runtime, loser.run_id))).toEqual([expect.objectContaining({ effect: "deny", rule: "refund-already-issued" })]);
    expect(loser.answer).toContain(`already has a refund of ${refunds[0]!.amount_cents / 100},`);
  });

  it("an agent's approved refund that policy now denies ends the run denied with the customer-facing reason; the model is not asked again", async ({ store, runtime, makeRuntime }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const args = { order_id: orderId, amount: 42, reason: "arrived broken" };
    // One scripted turn only: a second model call would fail the run.
    const model = new ScriptedChatModel([aiToolCall("issue_refund", args, "call_refund")]);
    const agent = await makeRuntime({ model });
    const waiting = await agent.start({ ...requester, goal: "Sort out my broken order, please." });
    expect(waiting.route).toBe("support_agent");
    expect(waiting.status).toBe("waiting_approval");
    // Meanwhile the order is refunded by another run.
    const other = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    expect((await runtime.decide({ ...approver, approvalId: other.pending_approvals[0]!.approval_id, decision: "approve" })).status).toBe("completed");

    const done = await agent.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    expect(done.status).toBe("denied");
    expect(done.answer).toContain("This order already has a refund of 42, so it cannot be refunded again.");
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(1);
    model.assertComplete();
    const events = await traceOf(agent, done.run_id);
    expect(effectDecisions(events)).toEqual([expect.objectContaining({ effect: "deny", rule: "refund-already-issued", proposed_by: "model" })]);
    expect(events.some((event) => event.kind === "workflow.step" && event.attributes.step === "escalate")).toBe(false);
  });

  it("the tenant cap is decided again at the effect: an approval does not carry a refund over it, and a replay denies again", async ({ store }) => {
    const orderId = await addOrder(store.db, { total: 900 });
    const args = { order_id: orderId, amount: 600, reason: "broken" };
    const executor = createToolExecutor({ registry: createSupportRegistry(), db: store.db });
    const policy = await refundsPolicy();
    const scope = scopeFor("run_cap", { authorization: approvalFor(args), policy });
    const result = await executor.execute({ id: "call_cap", name: "issue_refund", args }, scope);
    expect(result).toMatchObject({
      status: "error",
      error: { code: "POLICY_DENIED" },
      permanent: true,
      effectId: effectIdFor("acme", "run_cap", "call_cap"),
      denial: { rule: "refund-over-tenant-cap", policy: "refunds@1", reason: "Refund of 600 exceeds the cap of 500" },
    });
    expect(await refundsFor(store.db, "acme", orderId)).toEqual([]);

    const again = await executor.execute({ id: "call_cap", name: "issue_refund", args }, scope);
    expect(again).toMatchObject({ status: "error", error: { code: "POLICY_DENIED" }, denial: { rule: "refund-over-tenant-cap" } });
    expect(scope.trace.emitted.map((event) => [event.kind, event.attributes.status ?? event.attributes.rule])).toEqual([
      ["policy.decision", "refund-over-tenant-cap"],
      ["tool.call", "denied"],
      ["tool.call", "denied"],
    ]);
    expect(await effectsOf(store, "run_cap")).toMatchObject([{ status: "failed", attempts: 1, error: { code: "POLICY_DENIED", retryable: false } }]);
  });

  it("require_approval at the effect is satisfied only by an approval, not by an earlier policy allow", async ({ store }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const args = { order_id: orderId, amount: 10, reason: "broken" };
    const executor = createToolExecutor({ registry: createSupportRegistry(), db: store.db });
    const allowed: Authorization = {
      kind: "policy",
      decision: { point: "tool_call", effect: "allow", rule: "old-rule", reason: "allowed when drafted", policy: "refunds@0" },
      argsHash: hashArgs(args),
    };
    const result = await executor.execute({ id: "call_allow", name: "issue_refund", args }, scopeFor("run_allow", { authorization: allowed, policy: await refundsPolicy() }));
    expect(result).toMatchObject({ status: "error", error: { code: "POLICY_DENIED" }, denial: { rule: "refund-requires-approval" } });
    expect(await refundsFor(store.db, "acme", orderId)).toEqual([]);
  });

  it("an effect tool executed without a policy engine in scope is refused before anything is claimed", async ({ store }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const args = { order_id: orderId, amount: 42, reason: "broken" };
    const executor = createToolExecutor({ registry: createSupportRegistry(), db: store.db });
    const scope = scopeFor("run_no_policy", { authorization: approvalFor(args) });
    const result = await executor.execute({ id: "call_1", name: "issue_refund", args }, scope);
    expect(result).toMatchObject({ status: "error", error: { code: "TOOL_UNAUTHORIZED_EFFECT" }, permanent: true });
    expect(result.status === "error" && result.error.message).toContain("no policy engine");
    expect(scope.trace.emitted.map((event) => [event.kind, event.attributes.status])).toEqual([["tool.call", "denied"]]);
    expect(await refundsFor(store.db, "acme", orderId)).toEqual([]);
    expect(await effectsOf(store, "run_no_policy")).toEqual([]);
  });

  it("the refunds table refuses refunds of an order above its total, inserted directly, bypassing policy", async ({ store }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const insert = (key: string, cents: number) =>
      store.db.query("INSERT INTO refunds (tenant_id, refund_id, order_id, amount_cents, idempotency_key) VALUES ('acme', $1, $2, $3, $1)", [key, orderId, cents]);
    const refused = (promise: Promise<unknown>) => promise.then(() => "inserted", (error: { code?: string }) => error.code);
    expect(await refused(insert(`rf_over_${backend.name}`, 4201))).toBe("WR001");
    await insert(`rf_part_${backend.name}`, 3000);
    expect(await refused(insert(`rf_rest_${backend.name}`, 1201))).toBe("WR001");
    await insert(`rf_fill_${backend.name}`, 1200);
    expect(await refused(store.db.query("UPDATE refunds SET amount_cents = 3001 WHERE tenant_id = 'acme' AND refund_id = $1", [`rf_part_${backend.name}`]))).toBe("WR001");
    expect((await refundsFor(store.db, "acme", orderId)).map((refund) => refund.amount_cents).sort()).toEqual([1200, 3000]);
  });

  it("a refund call that hits the table's wall fails permanently, refunds nothing, and replays the failure", async ({ store }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const args = { order_id: orderId, amount: 50, reason: "broken" };
    const executor = createToolExecutor({ registry: createSupportRegistry(), db: store.db, sleep: async () => {} });
    // A policy that allows everything stands for one that misjudged the refund: only the table is left.
    const scope = scopeFor("run_wall", { authorization: approvalFor(args), policy: allowAllPolicy() });
    const result = await executor.execute({ id: "call_wall", name: "issue_refund", args }, scope);
    expect(result).toMatchObject({ status: "error", error: { code: "REFUND_EXCEEDS_ORDER_TOTAL" }, permanent: true });
    expect(await refundsFor(store.db, "acme", orderId)).toEqual([]);
    expect(await effectsOf(store, "run_wall")).toMatchObject([{ status: "failed", attempts: 1, error: { code: "REFUND_EXCEEDS_ORDER_TOTAL", retryable: false } }]);
    const again = await executor.execute({ id: "call_wall", name: "issue_refund", args }, scope);
    expect(again).toMatchObject({ status: "error", error: { code: "REFUND_EXCEEDS_ORDER_TOTAL" } });
    expect(scope.trace.emitted.filter((event) => event.kind === "tool.call").map((event) => event.attributes.status)).toEqual(["error", "error"]);
  });

  it("the wall does not count a provider retry with a key it already holds as a second refund", async ({ store }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const args = { order_id: orderId, amount: 42, reason: "broken" };
    const context = { tenant: "acme", actor: "alice", runId: "run_retry", toolCallId: "call_1", effectId: "eff_retry_key", signal: new AbortController().signal, db: store.db, attempt: 1 };
    const first = await issueRefund.execute(args, context);
    const retried = await issueRefund.execute(args, { ...context, attempt: 2 });
    expect(retried).toEqual(first);
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(1);
  });

  it("a run told to stop starts no effect, and a stop during the effect rolls it back as retryable", async ({ store }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const args = { order_id: orderId, amount: 42, reason: "broken" };
    const executor = createToolExecutor({ registry: createSupportRegistry(), db: store.db });
    const stopped = new AbortController();
    stopped.abort();
    const before = await executor.execute(
      { id: "call_1", name: "issue_refund", args },
      scopeFor("run_stopped", { authorization: approvalFor(args), policy: await refundsPolicy(), signal: stopped.signal }),
    );
    expect(before).toMatchObject({ status: "error", error: { code: "TOOL_ABORTED" } });
    expect(await effectsOf(store, "run_stopped")).toEqual([]);

    // The stop arrives while the provider call is in flight: the tool's signal aborts, the transaction rolls back.
    const stopping = new AbortController();
    const slow = {
      ...issueRefund,
      async execute(input: unknown, ctx: Parameters<typeof issueRefund.execute>[1]) {
        const refund = await issueRefund.execute(input, ctx);
        stopping.abort();
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
        return refund;
      },
    };
    const registry = createSupportRegistry();
    const stoppable = createToolExecutor({ registry: { ...registry, get: (name: string) => (name === "issue_refund" ? slow : registry.get(name)) }, db: store.db });
    const during = await stoppable.execute(
      { id: "call_1", name: "issue_refund", args },
      scopeFor("run_stopping", { authorization: approvalFor(args), policy: await refundsPolicy(), signal: stopping.signal }),
    );
    expect(during).toMatchObject({ status: "error", error: { code: "TOOL_ABORTED" } });
    expect(await refundsFor(store.db, "acme", orderId)).toEqual([]);
    expect(await effectsOf(store, "run_stopping")).toMatchObject([{ status: "failed", error: { code: "TOOL_ABORTED", retryable: true } }]);
  });
});
