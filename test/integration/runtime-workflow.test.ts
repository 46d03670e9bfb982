import { describe, expect, it } from "vitest";
import { isWardenError } from "../../src/errors.js";
import { checkpointThreadId } from "../../src/store/checkpoint-thread.js";
import { z } from "zod";
import { runtimeChannels } from "../../src/kernel/state.js";
import { defineWorkflowState } from "../../src/kernel/workflow-state.js";
import { RefundWorkflowState } from "../../src/packs/support/workflow/state.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, approver, codeOf, refundGoal, refundsFor, requester, runtimeOn } from "../helpers/runtime.js";

async function expectCode(promise: Promise<unknown>, code: string) {
  expect(await codeOf(promise)).toBe(code);
}

/** The refund workflow's own channels: they live in its subgraph state, never in the runtime graph's. */
const WORKFLOW_CHANNELS = ["refund_request", "order", "eligibility", "draft", "refund"];

describe("a workflow's own state", () => {
  it("holds the shared channels and its own; the runtime graph's channels hold none of its own", () => {
    expect(Object.keys(RefundWorkflowState.fields)).toEqual(expect.arrayContaining([...Object.keys(runtimeChannels()).filter((key) => !key.startsWith("__")), ...WORKFLOW_CHANNELS]));
    for (const channel of WORKFLOW_CHANNELS) expect(runtimeChannels()).not.toHaveProperty(channel);
  });

  it("may not redefine a shared channel", () => {
    expect(() => defineWorkflowState({ units: z.number().optional() })).not.toThrow();
    // @ts-expect-error the type refuses a shared channel's name as well
    expect(() => defineWorkflowState({ answer: z.number() })).toThrow(/answer is a shared channel/);
  });
});

const suites = onBackends();

describe.each(suites)("refund workflow on $name", ({ it }) => {
  it("stops an allowed refund for approval, and a second person's approval issues it exactly once", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    expect(waiting.route).toBe("refund_workflow");
    expect(waiting.status).toBe("waiting_approval");
    expect(waiting.pending_approvals).toHaveLength(1);
    const pending = waiting.pending_approvals[0]!;
    expect(pending).toMatchObject({ tool: "issue_refund", rule: "refund-requires-approval", args: { order_id: orderId, amount: 42 } });
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);

    const state = await runtime.graph.getState({ configurable: { thread_id: checkpointThreadId("acme", waiting.thread_id) } }, { subgraphs: true });
    const interrupts = state.tasks.flatMap((task) => [...task.interrupts, ...(task.state && "tasks" in task.state ? task.state.tasks.flatMap((t) => t.interrupts) : [])]);
    expect(interrupts[0]?.value).toMatchObject({
      approval_id: pending.approval_id,
      tool: "issue_refund",
      args_hash: pending.args_hash,
      rule: "refund-requires-approval",
      requested_by: "alice",
    });
    // While it waits, what the workflow's steps handed each other is in its subgraph's state only.
    const workflow = state.tasks.find((task) => task.name === "refund_workflow")?.state;
    expect(workflow && "values" in workflow ? workflow.values : undefined).toMatchObject({ refund_request: { order_id: orderId, amount: 42 }, eligibility: { effect: "require_approval" } });
    for (const channel of WORKFLOW_CHANNELS) expect(state.values).not.toHaveProperty(channel);

    const done = await runtime.decide({ ...approver, approvalId: pending.approval_id, decision: "approve", argsHash: pending.args_hash });
    expect(done.status).toBe("completed");
    expect(done.answer).toContain(orderId);
    expect(done.effects).toEqual([expect.objectContaining({ tool: "issue_refund", status: "completed" })]);
    const refunds = await refundsFor(store.db, "acme", orderId);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ amount_cents: 4200, idempotency_key: done.effects[0]!.effect_id });
    const after = await runtime.graph.getState({ configurable: { thread_id: checkpointThreadId("acme", waiting.thread_id) } });
    for (const channel of WORKFLOW_CHANNELS) expect(after.values).not.toHaveProperty(channel);
  });

  it("records workflow, model, tool, policy, approval and evaluator events for a refund run, in order", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db);
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    const done = await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    const events = await runtime.getTrace("acme", done.run_id);
    const kinds = new Set(events.map((event) => event.kind));
    for (const kind of ["run.started", "route.decided", "workflow.step", "model.call", "tool.call", "policy.decision", "approval.requested", "approval.resolved", "eval.result", "run.finished"]) {
      expect(kinds, kind).toContain(kind);
    }
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    const refundCall = events.find((event) => event.kind === "tool.call" && event.attributes["gen_ai.tool.name"] === "issue_refund")!;
    const approved = events.find((event) => event.kind === "approval.resolved")!;
    expect(approved.seq).toBeLessThan(refundCall.seq);
    expect(refundCall.attributes).toMatchObject({ status: "ok", side_effect: "irreversible", origin: "workflow" });
    expect(events.every((event) => event.tenant === "acme" && event.release === "support@1")).toBe(true);
    const verdict = events.find((event) => event.kind === "eval.result" && event.attributes.evaluator === "run_verdict");
    expect(verdict?.attributes.pass).toBe(true);
    // The customer's email came back from lookup_order; the stored trace holds it redacted.
    expect(JSON.stringify(events)).not.toContain("casey@example.com");
  });

  it("denies a refund over the tenant's cap: drafts an explanation, asks nobody, refunds nothing", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db, { total: 900 });
    const record = await runtime.start({ ...requester, goal: "Please refund this order.", context: { order_id: orderId, amount: 600 } });
    expect(record.status).toBe("denied");
    expect(record.pending_approvals).toEqual([]);
    expect(record.answer).toMatch(/cannot|not able|unable/i);
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);
    const events = await runtime.getTrace("acme", record.run_id);
    const eligibility = events.find((event) => event.kind === "policy.decision" && event.attributes["gen_ai.tool.name"] === "issue_refund");
    expect(eligibility?.attributes).toMatchObject({ effect: "deny", rule: "refund-over-tenant-cap", proposed_by: "workflow" });
    expect(events.some((event) => event.kind === "approval.requested")).toBe(false);
  });

  it("denies a refund of an order delivered more than 30 days ago", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db, { total: 120, daysAgo: 45 });
    const record = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    expect(record.status).toBe("denied");
    const events = await runtime.getTrace("acme", record.run_id);
    expect(events.some((event) => event.kind === "policy.decision" && event.attributes.rule === "refund-window")).toBe(true);
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);
  });

  it("a rejected approval ends the run denied with no refund; the approver's comment stays in the trace", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db);
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    const done = await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "reject", comment: "photo missing" });
    expect(done.status).toBe("denied");
    expect(done.answer).toMatch(/was not approved/);
    expect(done.answer).not.toContain("photo missing");
    const resolved = (await runtime.getTrace("acme", done.run_id)).find((event) => event.kind === "approval.resolved");
    expect(resolved?.attributes).toMatchObject({ decision: "reject", comment: "photo missing" });
    expect(done.effects).toEqual([]);
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);
  });

  it("refuses an approver without the approver role, the requester, and a mismatched hash; the run keeps waiting", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db);
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    const approvalId = waiting.pending_approvals[0]!.approval_id;
    await expectCode(runtime.decide({ tenant: "acme", approvalId, decision: "approve", approver: "carol", roles: ["requester"] }), "APPROVAL_FORBIDDEN");
    await expectCode(runtime.decide({ tenant: "acme", approvalId, decision: "approve", approver: "alice", roles: ["requester", "approver"] }), "APPROVAL_FORBIDDEN");
    await expectCode(runtime.decide({ ...approver, approvalId, decision: "approve", argsHash: "sha256:0000" }), "APPROVAL_MISMATCH");
    await expectCode(runtime.decide({ tenant: "globex", approver: "bob", roles: ["approver"], approvalId, decision: "approve" }), "APPROVAL_NOT_FOUND");
    const still = await runtime.getRun("acme", waiting.run_id);
    expect(still.status).toBe("waiting_approval");
    expect(still.pending_approvals).toHaveLength(1);
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);

    const done = await runtime.decide({ ...approver, approvalId, decision: "approve" });
    expect(done.status).toBe("completed");
    await expectCode(runtime.decide({ tenant: "acme", approver: "dave", roles: ["approver"], approvalId, decision: "reject" }), "APPROVAL_CONFLICT");
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(1);
  });

  it("two approvers racing on one approval: exactly one wins and one refund is issued", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db);
    const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    const approvalId = waiting.pending_approvals[0]!.approval_id;
    const results = await Promise.allSettled([
      runtime.decide({ tenant: "acme", approver: "bob", roles: ["approver"], approvalId, decision: "approve" }),
      runtime.decide({ tenant: "acme", approver: "dave", roles: ["approver"], approvalId, decision: "approve" }),
    ]);
    const won = results.filter((result) => result.status === "fulfilled");
    const lost = results.filter((result) => result.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(isWardenError((lost[0] as PromiseRejectedResult).reason, "APPROVAL_CONFLICT")).toBe(true);
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(1);
  });

  it("escalates a refund request without an order id instead of guessing", async ({ runtime }) => {
    const record = await runtime.start({ ...requester, goal: "Refund my order please", context: { order_id: "nonsense" } });
    expect(record.status).toBe("escalated");
    expect(record.effects).toEqual([]);
  });

  it("another tenant's order is not found: the refund escalates and nothing is refunded", async ({ store, runtime }) => {
    const record = await runtime.start({ tenant: "globex", actor: "gina", roles: ["requester"], goal: "Refund order A-1001, broken." });
    expect(record.status).toBe("escalated");
    expect(await refundsFor(store.db, "acme", "A-1001")).toHaveLength(0);
    await expectCode(runtime.getRun("acme", record.run_id), "RUN_NOT_FOUND");
  });

  it("rejects an invalid envelope and an unknown release with typed errors before storing a run", async ({ runtime }) => {
    await expectCode(runtime.start({ ...requester, goal: "" }), "ENVELOPE_INVALID");
    await expectCode(runtime.start({ ...requester, goal: "hi", release: "nope@9" }), "RELEASE_NOT_FOUND");
  });
});
