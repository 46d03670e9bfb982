import { describe, expect } from "vitest";
import { isWardenError } from "../../src/errors.js";
import { messageText } from "../../src/nodes/agent.js";
import { aiText, aiToolCall, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import type { Store } from "../../src/store/open-store.js";
import { validateTraceEvent } from "../../src/trace/event-schema.js";
import type { TraceEvent } from "../../src/trace/types.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, refundGoal, refundsFor, requester } from "../helpers/runtime.js";

const question = { ...requester, goal: "What is your refund policy for damaged items?" };
const PROMPT_2_LINE = "say which policy rule applies";

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => "resolved",
    (caught: unknown) => (isWardenError(caught) ? caught.code : caught),
  );
}

const applied = (events: TraceEvent[]) => events.filter((event) => event.kind === "flag.applied").map((event) => event.attributes);

/** A run's stored trace, each event checked against the published trace schema (`flag.applied` is strict). */
async function traceOf(runtime: Runtime, runId: string): Promise<TraceEvent[]> {
  const events = await runtime.getTrace("acme", runId);
  for (const event of events) expect(validateTraceEvent(event), `${event.kind} #${event.seq}`).toMatchObject({ ok: true });
  return events;
}

const suites = onBackends();

const runs = async (store: Store) => (await store.db.query("SELECT 1 FROM runs WHERE tenant_id = 'acme'")).rowCount;

describe.each(suites)("each kind of rollback switch on $name", ({ it }) => {
  it.afterEach(async ({ store, runtime, makeRuntime }) => {
    await store.db.query("DELETE FROM flags");
    // Re-read at once (list() drops the cache), so a switch a test left cannot act in the next test for a second.
    for (const created of [runtime, ...makeRuntime.made]) await created.flags.list("acme");
  });

  it("a workflow switched off in agent mode sends its requests to the agent path", async ({ store, runtime }) => {
    await runtime.flags.set({ tenant: "acme", kind: "workflow", target: "refund_workflow@1", mode: "agent", setBy: "ops" });
    const record = await runtime.start({ ...requester, goal: refundGoal(await addOrder(store.db)) });
    expect(record.route).toBe("support_agent");
    const events = await traceOf(runtime, record.run_id);
    expect(applied(events)).toEqual([expect.objectContaining({ flag: "workflow", target: "refund_workflow@1", action: "routed to support_agent" })]);
    expect(events.some((event) => event.kind === "workflow.step")).toBe(false);
  });

  it("a workflow switched off in refuse mode refuses its requests with ROUTE_DISABLED; questions still run", async ({ store, runtime }) => {
    await runtime.flags.set({ tenant: "acme", kind: "workflow", target: "refund_workflow@1", mode: "refuse", setBy: "ops" });
    const before = await runs(store);
    expect(await codeOf(runtime.start({ ...requester, goal: refundGoal(await addOrder(store.db)) }))).toBe("ROUTE_DISABLED");
    expect(await runs(store)).toBe(before);
    expect((await runtime.start(question)).status).toBe("completed");
  });

  it("the agent route switched off refuses open questions; the refund workflow still runs", async ({ store, runtime }) => {
    await runtime.flags.set({ tenant: "acme", kind: "agent", reason: "prompt injection incident", setBy: "ops" });
    const error = await runtime.start(question).catch((caught: unknown) => caught);
    expect(isWardenError(error, "ROUTE_DISABLED") && error.message).toContain("prompt injection incident");
    expect((await runtime.start({ ...requester, goal: refundGoal(await addOrder(store.db)) })).status).toBe("waiting_approval");
  });

  it("a prompt version switched off falls back to the release's previous prompt", async ({ makeRuntime }) => {
    const model = new ScriptedChatModel([aiText("Damaged items are refunded."), aiText("Damaged items are refunded.")]);
    const agent = await makeRuntime({ model });
    const first = await agent.start({ ...question, release: "support@2" });
    expect(messageText(model.calls[0]!.messages[0]!)).toContain(PROMPT_2_LINE);
    expect(applied(await traceOf(agent, first.run_id))).toEqual([]);

    await agent.flags.set({ tenant: "acme", kind: "prompt", target: "prompts/support@2.md", setBy: "ops" });
    const fallen = await agent.start({ ...question, release: "support@2" });
    expect(model.calls).toHaveLength(2);
    expect(messageText(model.calls[1]!.messages[0]!)).toContain("You are Warden's customer support agent");
    expect(messageText(model.calls[1]!.messages[0]!)).not.toContain(PROMPT_2_LINE);
    expect(applied(await traceOf(agent, fallen.run_id))).toEqual([expect.objectContaining({ flag: "prompt", target: "support@2", action: "prompt fell back to support@1" })]);
  });

  it("a prompt with no earlier version switched off stops the run instead of running without a prompt", async ({ runtime }) => {
    await runtime.flags.set({ tenant: "acme", kind: "prompt", target: "prompts/support@1.md", setBy: "ops" });
    const record = await runtime.start(question);
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "ROUTE_DISABLED" });
  });

  it("a model switched off falls back to the fallback model; with none the agent stops", async ({ runtime, makeRuntime }) => {
    const primary = new ScriptedChatModel([aiText("from the primary")]);
    const fallback = new ScriptedChatModel([aiText("from the fallback")]);
    const agent = await makeRuntime({ model: primary, fallbackModel: fallback });
    // Set through `runtime` (which the second half uses) so its cache drops; `agent` has read nothing yet.
    await runtime.flags.set({ tenant: "acme", kind: "model", target: "gpt-4.1-mini", setBy: "ops" });
    const record = await agent.start(question);
    expect(fallback.calls).toHaveLength(1);
    expect(primary.calls).toHaveLength(0);
    expect(record.status).not.toBe("failed");
    expect(applied(await traceOf(agent, record.run_id))).toEqual([expect.objectContaining({ flag: "model", target: "gpt-4.1-mini", action: "model fell back to the configured fallback" })]);

    const stopped = await runtime.start(question); // support@1 declares no fallback_model
    expect(stopped.status).toBe("failed");
    expect(stopped.error).toMatchObject({ code: "ROUTE_DISABLED" });
  });

  describe("a tool switched off is denied at the policy gate, before any approval is asked for", () => {
    const approvalsOf = async (store: Store, runId: string) => (await store.db.query("SELECT 1 FROM approvals WHERE tenant_id = 'acme' AND run_id = $1", [runId])).rowCount;
    const gateEvidence = (events: TraceEvent[], node: string) => {
      expect(applied(events)).toEqual([{ flag: "tool", target: "issue_refund", scope: "tenant", reason: "refund provider incident", set_by: "ops", action: "call denied before approval" }]);
      expect(events.find((event) => event.kind === "flag.applied")?.node).toBe(node);
      const decisions = events.filter((event) => event.kind === "policy.decision" && event.attributes["gen_ai.tool.name"] === "issue_refund");
      expect(decisions[0]).toMatchObject({ node, attributes: { effect: "deny", rule: "flag:tool", reason: "issue_refund is switched off (refund provider incident)" } });
      expect(events.some((event) => event.kind === "approval.requested")).toBe(false);
      expect(events.some((event) => event.kind === "tool.call" && event.attributes["gen_ai.tool.name"] === "issue_refund")).toBe(false);
    };

    it("the refund workflow escalates, the switch's reason in the trace only: no approval row, no refund", async ({ store, runtime }) => {
      await runtime.flags.set({ tenant: "acme", kind: "tool", target: "issue_refund", reason: "refund provider incident", setBy: "ops" });
      const orderId = await addOrder(store.db, { total: 42 });
      const record = await runtime.start({ ...requester, goal: refundGoal(orderId) });
      expect(record.route).toBe("refund_workflow");
      expect(record.status).toBe("escalated");
      expect(record.pending_approvals).toEqual([]);
      expect(record.answer).toMatch(/not available right now/);
      expect(record.answer).not.toContain("refund provider incident");
      expect(await approvalsOf(store, record.run_id)).toBe(0);
      expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);
      gateEvidence(await traceOf(runtime, record.run_id), "check_eligibility");
    });

    it("the agent escalates, the switch's reason in the trace only, without asking the model to work around it: no approval row, no refund", async ({ store, makeRuntime }) => {
      const orderId = await addOrder(store.db, { total: 42 });
      const model = new ScriptedChatModel([aiToolCall("issue_refund", { order_id: orderId, amount: 42, reason: "arrived broken" }), aiText("Your refund is on its way.")]);
      const agent = await makeRuntime({ model });
      await agent.flags.set({ tenant: "acme", kind: "tool", target: "issue_refund", reason: "refund provider incident", setBy: "ops" });
      // Not a refund request (that would go to the workflow): the scripted model proposes the refund itself.
      const record = await agent.start({ ...requester, goal: `My order ${orderId} arrived broken, please sort it out.` });
      expect(record.route).toBe("support_agent");
      expect(record.status).toBe("escalated");
      expect(record.pending_approvals).toEqual([]);
      expect(record.answer).toMatch(/not available right now/);
      expect(record.answer).not.toContain("refund provider incident");
      expect(model.calls).toHaveLength(1);
      expect(await approvalsOf(store, record.run_id)).toBe(0);
      expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);
      gateEvidence(await traceOf(agent, record.run_id), "policy_gate");
    });
  });
});
