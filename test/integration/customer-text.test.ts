import type { BaseMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { messageText } from "../../src/model/message-text.js";
import { OfflineChatModel } from "../../src/model/offline-chat-model.js";
import { aiText, aiToolCall, aiToolCalls, ScriptedChatModel, type ScriptedResponse } from "../../src/model/scripted-chat-model.js";
import { isWardenError } from "../../src/errors.js";
import { createPolicyEngine } from "../../src/policy/create-policy-engine.js";
import { loadPolicy, loadPolicyEngine } from "../../src/policy/load-policy.js";
import type { PolicyDocumentInput } from "../../src/policy/policy-schema.js";
import type { TraceEvent } from "../../src/trace/types.js";
import { onBackends, type MakeRuntime } from "../helpers/fixtures.js";
import { addOrder, approver, refundGoal, requester } from "../helpers/runtime.js";
import { composePacks } from "../../src/kernel/composition.js";
import { definePack } from "../../src/kernel/pack.js";
import { CUSTOMER_NOTICES, customerNotices, noticeForToolError } from "../../src/nodes/customer-notices.js";
import { supportPack } from "../../src/packs/support/index.js";
import { refundNoticeForToolError } from "../../src/packs/support/workflow/notices.js";

/*
 * No internal operator text reaches the customer. Operator texts are a policy rule's `reason`, a rollback
 * switch's `reason`, an approver's `comment` and an escalation reason: each must be in the trace (where
 * operators and evaluators read it) and not in the run's answer, in whole or in any `;`-separated clause.
 */

/**
 * Where the trace carries operator texts, as an evaluator collects them: reasons of policy decisions, approval
 * requests, switches and routes, approvers' comments, the escalation reason (`detail` of the `escalate` step),
 * tool error messages and rule ids.
 */
function operatorTexts(events: TraceEvent[]): string[] {
  const texts: unknown[] = [];
  for (const { kind, attributes } of events) {
    if (kind === "policy.decision" || kind === "approval.requested" || kind === "flag.applied" || kind === "route.decided") texts.push(attributes.reason);
    if (kind === "policy.decision" && String(attributes.rule).includes("-")) texts.push(attributes.rule);
    if (kind === "approval.resolved") texts.push(attributes.comment);
    if (kind === "workflow.step" && attributes.step === "escalate") texts.push(attributes.detail);
    if (kind === "tool.call" || kind === "run.failed") texts.push(attributes.error_message);
  }
  return texts.filter((text): text is string => typeof text === "string" && text.length > 0);
}

/** Asserts `answer` holds none of `texts`, nor any `;`-separated clause of one, ignoring case. */
function expectNoneIn(answer: string | undefined, texts: string[]): void {
  expect(answer, "the run has an answer").toBeTypeOf("string");
  const lower = answer!.toLowerCase();
  for (const text of texts) {
    for (const clause of [text, ...text.split(";")].map((part) => part.trim().replace(/\.$/, "").toLowerCase())) {
      if (clause.length > 0) expect(lower, `the answer repeats operator text "${clause}"`).not.toContain(clause);
    }
  }
}

const attributesOf = (events: TraceEvent[], kind: TraceEvent["kind"]) => events.filter((event) => event.kind === kind).map((event) => event.attributes);

/**
 * A turn that looks the order up (evidence, so the final-answer policy lets the answer through) and asks for the
 * refund in the same breath.
 */
const lookupAndRefund = (orderId: string, amount: number) =>
  aiToolCalls([
    { name: "lookup_order", args: { order_id: orderId } },
    { name: "issue_refund", args: { order_id: orderId, amount, reason: "arrived broken" } },
  ]);

/** The offline model's next reply to the conversation: how a model writes its answer after a refused call. */
function offlineReply(): ScriptedResponse {
  const offline = new OfflineChatModel();
  return async (messages: BaseMessage[]) => aiText(messageText(await offline.invoke(messages)));
}

const FLAG_REASON = "refund provider incident; ticket INC-4711 with the payment vendor";
const COMMENT = "customer has abused returns before; see internal ticket 991";
const AGENT_GOAL = "Sort out my broken order, please.";

describe("customer_reason in policy", () => {
  const refundSubject = (amount: number) => ({ tool: "issue_refund", args: { order_id: "A-1001", amount }, known: true, args_valid: true, side_effect: "irreversible" });
  const refundCtx = (facts: Record<string, unknown>) => ({ tenant: "acme", actor: "alice", roles: ["requester"], facts });
  const oldOrder = { order: { exists: true, total: 120, age_days: 45, refunded_total: 0 } };

  it("a decision carries the rule's customer_reason rendered beside its operator reason", async () => {
    const policy = await loadPolicyEngine("policies/refunds@1.json");
    expect(policy.decide("tool_call", refundSubject(120), refundCtx(oldOrder))).toEqual({
      point: "tool_call",
      effect: "deny",
      rule: "refund-window",
      reason: "Order is 45 days old, too old for a refund (window: 30 days); send a draft explanation instead",
      customerReason: "Your order was delivered 45 days ago, which is outside our 30-day refund window.",
      policy: "refunds@1",
    });
    // A caller that kept only the rule id renders the same text again.
    expect(policy.customerReason("refund-window", refundSubject(120), refundCtx(oldOrder))).toBe("Your order was delivered 45 days ago, which is outside our 30-day refund window.");
  });

  it("no customer text for a rule without one, an unknown rule, a default, or a placeholder with no value", async () => {
    const policy = await loadPolicyEngine("policies/refunds@1.json");
    expect(policy.decide("tool_call", { ...refundSubject(1), known: false }, refundCtx({})).customerReason).toBeUndefined();
    expect(policy.decide("tool_call", { tool: "read_policy", args: {}, known: true, args_valid: true, side_effect: "read" }, refundCtx({}))).not.toHaveProperty("customerReason");
    expect(policy.customerReason("no-such-rule", refundSubject(1), refundCtx({}))).toBeUndefined();
    expect(policy.customerReason("flag:tool", refundSubject(1), refundCtx({}))).toBeUndefined();
    // Never "(missing)" in front of a customer: the caller falls back to its neutral text.
    expect(policy.customerReason("refund-window", refundSubject(1), refundCtx({}))).toBeUndefined();
    expect(policy.customerReason("refund-window", refundSubject(1), { tenant: "", actor: "", roles: [], facts: {} })).toBeUndefined();
  });

  it("every customer_reason of refunds@1 is plain customer language", async () => {
    const doc = await loadPolicy("policies/refunds@1.json");
    const ids = doc.rules.map((rule) => rule.id);
    for (const rule of doc.rules) {
      if (rule.customer_reason === undefined) continue;
      expect(rule.customer_reason, rule.id).not.toMatch(/approver|draft|policy-error|tenant|\bcap\b|rule/i);
      for (const id of ids) expect(rule.customer_reason, rule.id).not.toContain(id);
    }
    const refundDenials = doc.rules.filter((rule) => rule.tool === "issue_refund" && rule.effect === "deny");
    expect(refundDenials.filter((rule) => rule.customer_reason === undefined).map((rule) => rule.id)).toEqual([]);
  });

  it("a customer_reason placeholder is checked like a reason's", () => {
    const document = (customer: string): PolicyDocumentInput => ({
      id: "t",
      version: 1,
      description: "test",
      params: { defaults: { cap: 5 } },
      roles: {},
      defaults: { retrieval: "allow", memory_write: "deny", tool_call: "allow", outbound_message: "allow", final_answer: "allow" },
      rules: [{ id: "r", point: "tool_call", effect: "deny", reason: "no", customer_reason: customer }],
    });
    expect(createPolicyEngine(document("At most {params.cap}.")).decide("tool_call", {}, refundCtx({})).customerReason).toBe("At most 5.");
    for (const bad of ["At most {params.capp}.", "At most {cap}."]) {
      let error: unknown;
      try {
        createPolicyEngine(document(bad));
      } catch (thrown) {
        error = thrown;
      }
      expect(isWardenError(error, "POLICY_INVALID"), bad).toBe(true);
    }
  });
});

describe("customer notices", () => {
  const otherPack = definePack({ name: "inventory", root: supportPack.root, tools: [], agents: supportPack.agents.map((agent) => ({ ...agent, node: "inventory_agent" })) });
  const composition = composePacks([supportPack, otherPack]);

  it("are neutral in the core: no domain named", () => {
    for (const text of Object.values(CUSTOMER_NOTICES)) expect(text).not.toMatch(/support|refund|order/i);
    expect(customerNotices(composition, "inventory@1")).toEqual(CUSTOMER_NOTICES);
    expect(noticeForToolError("TOOL_DISABLED")).toBe(CUSTOMER_NOTICES.unavailable);
    expect(noticeForToolError("ORDER_NOT_FOUND")).toBeUndefined();
  });

  it("are worded by the pack of the run's release, where it gives a text; the core's text elsewhere", () => {
    const support = customerNotices(composition, "support@2");
    expect(support.escalated).toMatch(/member of our support team, who will follow up/);
    expect(support.followUp).toBe("A member of our support team will follow up.");
    expect(support.unverified).toBe(CUSTOMER_NOTICES.unverified);
    expect(refundNoticeForToolError("TOOL_DISABLED")).toBe(support.unavailable);
    expect(refundNoticeForToolError("ORDER_NOT_FOUND", "A-1001")).toMatch(/could not find order A-1001 on your account/);
  });
});

const suites = onBackends();

/** A runtime with a scripted model, and the model. */
async function scripted(makeRuntime: MakeRuntime, responses: ScriptedResponse[]) {
  const model = new ScriptedChatModel(responses);
  return { agent: await makeRuntime({ model }), model };
}

describe.each(suites)("customer-facing text on $name", ({ it, backend }) => {
  it.afterEach(async ({ store, runtime, makeRuntime }) => {
    await store.db.query("DELETE FROM flags");
    for (const created of [runtime, ...makeRuntime.made]) await created.flags.list("acme");
  });

  describe("a rollback switch's reason", () => {
    it("workflow, switch met at the gate: the customer hears it is not available right now", async ({ store, runtime }) => {
      await runtime.flags.set({ tenant: "acme", kind: "tool", target: "issue_refund", reason: FLAG_REASON, setBy: "ops" });
      const record = await runtime.start({ ...requester, goal: refundGoal(await addOrder(store.db)) });
      expect(record.status).toBe("escalated");
      const events = await runtime.getTrace("acme", record.run_id);
      expect(attributesOf(events, "flag.applied")).toEqual([expect.objectContaining({ reason: FLAG_REASON })]);
      expect(attributesOf(events, "policy.decision")).toContainEqual(expect.objectContaining({ rule: "flag:tool", reason: `issue_refund is switched off (${FLAG_REASON})` }));
      expect(attributesOf(events, "workflow.step")).toContainEqual(expect.objectContaining({ step: "escalate", detail: `issue_refund is switched off (${FLAG_REASON})` }));
      expectNoneIn(record.answer, [FLAG_REASON, ...operatorTexts(events)]);
      expect(record.answer).toMatch(/not available right now/);
      expect(record.answer).toMatch(/support team, who will follow up/);
      expect(record.answer).not.toMatch(/switched off|issue_refund/i);
    });

    it("workflow, switch set while the refund waited for approval", async ({ store, runtime }) => {
      const waiting = await runtime.start({ ...requester, goal: refundGoal(await addOrder(store.db)) });
      await runtime.flags.set({ tenant: "acme", kind: "tool", target: "issue_refund", reason: FLAG_REASON, setBy: "ops" });
      const done = await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
      expect(done.status).toBe("escalated");
      const events = await runtime.getTrace("acme", done.run_id);
      expect(events.find((event) => event.kind === "flag.applied")).toMatchObject({ node: "issue_refund", attributes: { reason: FLAG_REASON } });
      expectNoneIn(done.answer, [FLAG_REASON, ...operatorTexts(events)]);
      expect(done.answer).toMatch(/not available right now/);
    });

    it("agent, a switched-off lookup: the offline agent's run escalates without the reason", async ({ runtime }) => {
      await runtime.flags.set({ tenant: "acme", kind: "tool", target: "lookup_order", reason: FLAG_REASON, setBy: "ops" });
      const record = await runtime.start({ ...requester, goal: "Where is my order A-1001?" });
      expect(record.route).toBe("support_agent");
      expect(record.status).toBe("escalated");
      const events = await runtime.getTrace("acme", record.run_id);
      expect(attributesOf(events, "flag.applied")).toEqual([expect.objectContaining({ target: "lookup_order", reason: FLAG_REASON })]);
      expectNoneIn(record.answer, [FLAG_REASON, ...operatorTexts(events)]);
      expect(record.answer).toMatch(/not available right now/);
    });

    it("agent, switch set while the agent's refund waited for approval; the model never sees the reason", async ({ store, makeRuntime }) => {
      const orderId = await addOrder(store.db);
      const { agent, model } = await scripted(makeRuntime, [aiToolCall("issue_refund", { order_id: orderId, amount: 42, reason: "arrived broken" }, "call_flagged")]);
      const waiting = await agent.start({ ...requester, goal: AGENT_GOAL });
      await agent.flags.set({ tenant: "acme", kind: "tool", target: "issue_refund", reason: FLAG_REASON, setBy: "ops" });
      const done = await agent.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
      expect(done.status).toBe("escalated");
      const events = await agent.getTrace("acme", done.run_id);
      expect(events.find((event) => event.kind === "flag.applied")).toMatchObject({ node: "tools", attributes: { reason: FLAG_REASON } });
      expectNoneIn(done.answer, [FLAG_REASON, ...operatorTexts(events)]);
      expect(done.answer).toMatch(/not available right now/);
      model.assertComplete();
    });
  });

  describe("an approver's comment", () => {
    it("workflow rejection: the customer hears the refund was not approved", async ({ store, runtime }) => {
      const waiting = await runtime.start({ ...requester, goal: refundGoal(await addOrder(store.db)) });
      const done = await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "reject", comment: COMMENT });
      expect(done.status).toBe("denied");
      const events = await runtime.getTrace("acme", done.run_id);
      expect(attributesOf(events, "approval.resolved")).toEqual([expect.objectContaining({ decision: "reject", comment: COMMENT })]);
      expectNoneIn(done.answer, [COMMENT, ...operatorTexts(events)]);
      expect(done.answer).toMatch(/was not approved/);
    });

    it("workflow approval with a comment: the customer hears the refund was issued", async ({ store, runtime }) => {
      const comment = "goodwill exception; internal code GW-7";
      const waiting = await runtime.start({ ...requester, goal: refundGoal(await addOrder(store.db)) });
      const done = await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve", comment });
      expect(done.status).toBe("completed");
      const events = await runtime.getTrace("acme", done.run_id);
      expect(attributesOf(events, "approval.resolved")).toEqual([expect.objectContaining({ decision: "approve", comment })]);
      expectNoneIn(done.answer, [comment, ...operatorTexts(events)]);
      expect(done.answer).toMatch(/We have issued a refund/);
    });

    it("agent rejection: neither the model nor the customer reads the comment", async ({ store, makeRuntime }) => {
      const orderId = await addOrder(store.db);
      const { agent, model } = await scripted(makeRuntime, [lookupAndRefund(orderId, 42), offlineReply()]);
      const waiting = await agent.start({ ...requester, goal: AGENT_GOAL });
      const done = await agent.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "reject", comment: COMMENT });
      const events = await agent.getTrace("acme", done.run_id);
      expect(attributesOf(events, "approval.resolved")).toEqual([expect.objectContaining({ decision: "reject", comment: COMMENT })]);
      expect(JSON.stringify(model.calls.at(-1)!.messages.map((message) => message.content))).not.toContain(COMMENT);
      expect(done.status).toBe("completed");
      expectNoneIn(done.answer, [COMMENT, ...operatorTexts(events)]);
      expect(done.answer).toMatch(/issue_refund step was not allowed\./);
    });
  });

  describe("a policy rule's reason", () => {
    it("workflow, refund window: the customer hears the window in their terms, not the hint to send a draft", async ({ store, runtime }) => {
      const record = await runtime.start({ ...requester, goal: refundGoal(await addOrder(store.db, { total: 120, daysAgo: 45 })) });
      expect(record.status).toBe("denied");
      const events = await runtime.getTrace("acme", record.run_id);
      const window = attributesOf(events, "policy.decision").find((attributes) => attributes.rule === "refund-window");
      expect(window?.reason).toBe("Order is 45 days old, too old for a refund (window: 30 days); send a draft explanation instead");
      expectNoneIn(record.answer, operatorTexts(events));
      expect(record.answer).not.toMatch(/draft|refund-window|approver/i);
      expect(record.answer).toContain("Your order was delivered 45 days ago, which is outside our 30-day refund window.");
      expect(record.answer).toMatch(/cannot issue a refund/);
    });

    it("workflow, tenant cap: no 'exceeds the cap' and no rule id", async ({ store, runtime }) => {
      const orderId = await addOrder(store.db, { total: 900 });
      const record = await runtime.start({ ...requester, goal: "Please refund this order.", context: { order_id: orderId, amount: 600 } });
      expect(record.status).toBe("denied");
      const events = await runtime.getTrace("acme", record.run_id);
      expect(attributesOf(events, "policy.decision")).toContainEqual(expect.objectContaining({ rule: "refund-over-tenant-cap", reason: "Refund of 600 exceeds the cap of 500" }));
      expectNoneIn(record.answer, operatorTexts(events));
      expect(record.answer).not.toMatch(/refund-over-tenant-cap|exceeds the cap/i);
      expect(record.answer).toContain("We can refund at most 500 for a single request, and this request is for 600.");
    });

    it("workflow, denied at the effect after the approval", async ({ store, runtime }) => {
      const orderId = await addOrder(store.db, { total: 42 });
      const waiting = await runtime.start({ ...requester, goal: refundGoal(orderId) });
      await store.db.query("UPDATE orders SET total_cents = 3000 WHERE tenant_id = 'acme' AND order_id = $1", [orderId]);
      const done = await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
      expect(done.status).toBe("denied");
      const events = await runtime.getTrace("acme", done.run_id);
      expect(attributesOf(events, "policy.decision")).toContainEqual(expect.objectContaining({ phase: "effect", reason: "Refund of 42 exceeds the order total of 30" }));
      expectNoneIn(done.answer, operatorTexts(events));
      expect(done.answer).toContain("A refund of 42 would be more than the order total of 30.");
    });

    it("workflow, a denial remembered for the customer holds only customer wording", async ({ store, runtime }) => {
      const subject = `cust-text-${process.pid}-${backend.name}`;
      await runtime.memory.setConsent("acme", subject, true, { actor: "alice", roles: ["requester"] });
      const record = await runtime.start({ ...requester, subject, goal: refundGoal(await addOrder(store.db, { daysAgo: 45 })) });
      expect(record.status).toBe("denied");
      const events = await runtime.getTrace("acme", record.run_id);
      const { rows } = await store.db.query<{ content: string }>("SELECT content FROM memories WHERE tenant_id = 'acme' AND subject = $1", [subject]);
      expect(rows).toHaveLength(1);
      expectNoneIn(rows[0]!.content, operatorTexts(events));
      expect(rows[0]!.content).toContain("outside our 30-day refund window");
    });

    it("agent, denied at the gate: the model and the customer get the customer reason", async ({ store, makeRuntime }) => {
      const orderId = await addOrder(store.db, { total: 900 });
      const { agent, model } = await scripted(makeRuntime, [lookupAndRefund(orderId, 600), offlineReply()]);
      const record = await agent.start({ ...requester, goal: AGENT_GOAL });
      const events = await agent.getTrace("acme", record.run_id);
      expect(attributesOf(events, "policy.decision")).toContainEqual(expect.objectContaining({ rule: "refund-over-tenant-cap", reason: "Refund of 600 exceeds the cap of 500", proposed_by: "model" }));
      const toModel = JSON.stringify(model.calls.at(-1)!.messages.map((message) => message.content));
      expect(toModel).not.toContain("exceeds the cap");
      expect(toModel).not.toContain("refund-over-tenant-cap");
      expect(record.status).toBe("completed");
      expectNoneIn(record.answer, operatorTexts(events));
      expect(record.answer).toContain("not allowed (We can refund at most 500 for a single request, and this request is for 600)");
      model.assertComplete();
    });

    it("agent, denied at the effect after the approval: the drafted answer gives the customer reason", async ({ store, runtime, makeRuntime }) => {
      const orderId = await addOrder(store.db, { total: 42 });
      const { agent } = await scripted(makeRuntime, [aiToolCall("issue_refund", { order_id: orderId, amount: 42, reason: "arrived broken" }, "call_second")]);
      const waiting = await agent.start({ ...requester, goal: AGENT_GOAL });
      const other = await runtime.start({ ...requester, goal: refundGoal(orderId) });
      expect((await runtime.decide({ ...approver, approvalId: other.pending_approvals[0]!.approval_id, decision: "approve" })).status).toBe("completed");
      const done = await agent.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
      expect(done.status).toBe("denied");
      const events = await agent.getTrace("acme", done.run_id);
      expect(attributesOf(events, "policy.decision")).toContainEqual(expect.objectContaining({ phase: "effect", reason: "Order already has 42 refunded; a second refund is not allowed" }));
      expectNoneIn(done.answer, operatorTexts(events));
      expect(done.answer).toContain("This order already has a refund of 42, so it cannot be refunded again.");
    });

    it("agent, an answer without evidence: escalated without the final-answer rule or its reason", async ({ makeRuntime }) => {
      const { agent } = await scripted(makeRuntime, [aiText("Your refund of $500 has been issued.")]);
      const record = await agent.start({ ...requester, goal: "Did you refund me?" });
      expect(record.status).toBe("escalated");
      const events = await agent.getTrace("acme", record.run_id);
      expect(attributesOf(events, "policy.decision")).toContainEqual(expect.objectContaining({ rule: "final-answer-needs-evidence", reason: "The answer cites no evidence" }));
      expectNoneIn(record.answer, operatorTexts(events));
      expect(record.answer).not.toContain("final-answer-needs-evidence");
      expect(record.answer).toMatch(/support team will follow up/);
    });
  });

  describe("an escalation reason", () => {
    it("an order another tenant owns: the customer hears it was not found on their account, not the lookup error", async ({ runtime }) => {
      const record = await runtime.start({ tenant: "globex", actor: "gina", roles: ["requester"], goal: "Refund order A-1001, broken." });
      expect(record.status).toBe("escalated");
      const events = await runtime.getTrace("globex", record.run_id);
      const escalation = attributesOf(events, "workflow.step").find((attributes) => attributes.step === "escalate");
      expect(escalation?.detail).toMatch(/^order lookup failed: /);
      expectNoneIn(record.answer, operatorTexts(events));
      expect(record.answer).toContain("I could not find order A-1001 on your account");
    });
  });
});
