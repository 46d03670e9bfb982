import { describe, expect } from "vitest";
import { isWardenError } from "../../src/errors.js";
import { aiText, aiToolCall, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import { createFlags } from "../../src/kernel/flags.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, approver, refundGoal, refundsFor, requester } from "../helpers/runtime.js";

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => "resolved",
    (caught: unknown) => (isWardenError(caught) ? caught.code : caught),
  );
}

const suites = onBackends();

describe.each(suites)("rollback switches on $name", ({ it }) => {
  it.afterEach(async ({ store }) => {
    await store.db.query("DELETE FROM flags");
  });

  it("a refund approved after issue_refund was switched off is not issued: the run escalates with a flag.applied event", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    expect(waiting.status).toBe("waiting_approval");
    await runtime.flags.set({ tenant: "acme", kind: "tool", target: "issue_refund", reason: "refund provider incident", setBy: "ops" });

    const pending = waiting.pending_approvals[0]!;
    const done = await runtime.decide({ ...approver, approvalId: pending.approval_id, decision: "approve", argsHash: pending.args_hash });
    expect(done.status).toBe("escalated");
    // The customer hears the refund is not available right now; the switch's reason is for operators (trace).
    expect(done.answer).toMatch(/not available right now/);
    expect(done.answer).not.toContain("refund provider incident");
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);
    const events = await runtime.getTrace("acme", done.run_id);
    expect(events.find((event) => event.kind === "flag.applied")).toMatchObject({
      node: "issue_refund",
      attributes: { flag: "tool", target: "issue_refund", scope: "tenant", reason: "refund provider incident", set_by: "ops" },
    });
    expect(events.some((event) => event.kind === "tool.call" && event.attributes["gen_ai.tool.name"] === "issue_refund")).toBe(false);
  });

  it("a global switch stops the tool for every tenant before any approval, and clearing it lets refunds through again", async ({ store, runtime }) => {
    await runtime.flags.set({ tenant: "*", kind: "tool", target: "issue_refund", setBy: "ops" });
    const orderId = await addOrder(store.db, { total: 42 });
    const stopped = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    expect(stopped.status).toBe("escalated");
    expect(stopped.pending_approvals).toEqual([]); // denied at the gate (rule flag:tool): nobody is asked to approve
    expect((await runtime.getTrace("acme", stopped.run_id)).find((event) => event.kind === "flag.applied")?.attributes.scope).toBe("global");
    const globexOrder = await addOrder(store.db, { tenant: "globex", total: 42 });
    expect((await runtime.start({ tenant: "globex", actor: "gina", roles: ["requester"], goal: refundGoal(globexOrder) })).status).toBe("escalated");

    expect(await runtime.flags.clear("*", "tool", "issue_refund")).toBe(true);
    const again = await addOrder(store.db, { total: 42 });
    const next = await runtime.start({ ...requester, goal: refundGoal(again) });
    const done = await runtime.decide({ ...approver, approvalId: next.pending_approvals[0]!.approval_id, decision: "approve" });
    expect(done.status).toBe("completed");
    expect(await refundsFor(store.db, "acme", again)).toHaveLength(1);
  });

  it("a switched-off tool the agent proposes is not executed and the run escalates", async ({ makeRuntime }) => {
    const model = new ScriptedChatModel([aiToolCall("lookup_order", { order_id: "A-1002" }), aiText("Your order is on its way.")]);
    const agent = await makeRuntime({ model });
    await agent.flags.set({ tenant: "acme", kind: "tool", target: "lookup_order", setBy: "ops" });
    const record = await agent.start({ ...requester, goal: "Where is my order A-1002?" });
    expect(record.route).toBe("support_agent");
    expect(record.status).toBe("escalated");
    const events = await agent.getTrace("acme", record.run_id);
    expect(events.some((event) => event.kind === "tool.call")).toBe(false);
    // Denied at the policy gate (rule flag:tool), before the tools node: the call never reaches the executor.
    expect(events.find((event) => event.kind === "flag.applied")).toMatchObject({ node: "policy_gate", attributes: { flag: "tool", target: "lookup_order", action: "call denied before approval" } });
    expect(model.calls).toHaveLength(1); // escalated at once: the model is not asked to work around the switch
  });

  it("a runtime switched off for one tenant refuses its runs and approvals with RUNTIME_DISABLED; other tenants run", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    await runtime.flags.set({ tenant: "acme", kind: "runtime", reason: "bad release", setBy: "ops" });
    const runsBefore = (await store.db.query("SELECT 1 FROM runs WHERE tenant_id = 'acme'")).rowCount;

    expect(await codeOf(runtime.start({ ...requester, goal: "Where is my order A-1002?" }))).toBe("RUNTIME_DISABLED");
    expect(await codeOf(runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" }))).toBe("RUNTIME_DISABLED");
    expect((await store.db.query("SELECT 1 FROM runs WHERE tenant_id = 'acme'")).rowCount).toBe(runsBefore);
    expect((await runtime.getRun("acme", waiting.run_id)).status).toBe("waiting_approval");
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);

    const other = await runtime.start({ tenant: "globex", actor: "gina", roles: ["requester"], goal: "Where is my order G-2001?" });
    expect(other.status).toBe("completed");
  });

  it("reads the table at most once per staleness window, and sees another writer's switch after it", async ({ store }) => {
    let clock = 0;
    let reads = 0;
    const counting = { ...store.db, query: (text: string, params?: unknown[]) => ((reads += text.includes("FROM flags") ? 1 : 0), store.db.query(text, params)) } as typeof store.db;
    const flags = createFlags(counting, { maxStalenessMs: 1000, now: () => clock });
    expect((await flags.forTenant("acme")).find("tool", "send_message")).toBeUndefined();
    await store.db.query("INSERT INTO flags (tenant_id, kind, target, set_by) VALUES ('acme', 'tool', 'send_message', 'elsewhere')");
    clock = 999;
    for (let step = 0; step < 5; step++) expect((await flags.forTenant("acme")).find("tool", "send_message")).toBeUndefined();
    expect(reads).toBe(1);
    clock = 1000;
    expect((await flags.forTenant("acme")).find("tool", "send_message")?.set_by).toBe("elsewhere");
    expect(reads).toBe(2);
  });
});
