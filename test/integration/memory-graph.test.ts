import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect } from "vitest";
import { aiText, aiToolCall, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import { memoryIdFor } from "../../src/nodes/memory-write.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import type { Store } from "../../src/store/open-store.js";
import { validateTraceEvent } from "../../src/trace/event-schema.js";
import type { TraceEvent } from "../../src/trace/types.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, approver, refundGoal, requester, runtimeOn } from "../helpers/runtime.js";

const PROJECT = join(import.meta.dirname, "..", "..");
const DAY_MS = 86_400_000;
const caller = { actor: "alice", roles: ["requester"] };
let nextSubject = 0;
/** A subject no other test (or parallel file on the same schema) uses. */
const freshSubject = () => `cust-${process.pid}-${++nextSubject}`;

/** A run's trace, each event checked against the published schema (memory.* and flag.applied are strict). */
async function traceOf(runtime: Runtime, runId: string): Promise<TraceEvent[]> {
  const events = await runtime.getTrace("acme", runId);
  for (const event of events) expect(validateTraceEvent(event), `${event.kind} #${event.seq}`).toMatchObject({ ok: true });
  return events;
}
const ofKind = (events: TraceEvent[], kind: string) => events.filter((event) => event.kind === kind).map((event) => event.attributes);

interface MemoryRow {
  memory_id: string;
  kind: string;
  content: string;
  source_run: string | null;
  created_at: Date;
  expires_at: Date;
}

const rows = async (store: Store, subject: string) =>
  (await store.db.query<MemoryRow>("SELECT memory_id, kind, content, source_run, created_at, expires_at FROM memories WHERE tenant_id = 'acme' AND subject = $1 ORDER BY created_at", [subject])).rows;
const consent = (runtime: Runtime, subject: string) => runtime.memory.setConsent("acme", subject, true, caller);

const suites = onBackends();

describe.each(suites)("memory in runs on $name", ({ it }) => {

  it("a proposed memory without recorded consent is denied, traced and not stored; the run still answers", async ({ store, runtime }) => {
    const subject = freshSubject();
    const record = await runtime.start({ ...requester, subject, goal: "Where is my order A-1001? I prefer email over phone calls." });
    expect(record.status).toBe("completed");
    const events = await traceOf(runtime, record.run_id);
    expect(ofKind(events, "tool.call").map((call) => call["gen_ai.tool.name"])).toContain("remember");
    expect(ofKind(events, "memory.write")).toEqual([
      expect.objectContaining({ subject, kind: "preference", effect: "deny", rule: "default:memory_write", stored: false, proposed_by: "model" }),
    ]);
    expect(ofKind(events, "policy.decision").filter((decision) => decision.point === "memory_write")).toEqual([expect.objectContaining({ effect: "deny" })]);
    expect(await rows(store, subject)).toEqual([]);
  });

  it("with consent the proposal is stored with its kind, source run and the policy's retention, and the next run reads it", async ({ store, runtime }) => {
    const subject = freshSubject();
    await consent(runtime, subject);
    const first = await runtime.start({ ...requester, subject, goal: "Where is my order A-1001? I prefer email over phone calls." });
    const written = ofKind(await traceOf(runtime, first.run_id), "memory.write");
    expect(written).toEqual([expect.objectContaining({ effect: "allow", rule: "memory-write-needs-consent", stored: true, memory_id: expect.any(String) })]);
    const [stored] = await rows(store, subject);
    expect(stored).toMatchObject({ kind: "preference", content: "Prefers email over phone calls.", source_run: first.run_id, memory_id: written[0]!.memory_id });
    // refunds@1: preference entries are kept 365 days.
    expect(new Date(stored!.expires_at).getTime() - new Date(stored!.created_at).getTime()).toBe(365 * DAY_MS);
    const audit = await store.db.query("SELECT action, actor, count FROM memory_audit WHERE tenant_id = 'acme' AND subject = $1", [subject]);
    expect(audit.rows).toEqual([{ action: "write", actor: "alice", count: 1 }]);

    const second = await runtime.start({ ...requester, subject, goal: "Where is my order A-1001?" });
    const events = await traceOf(runtime, second.run_id);
    expect(ofKind(events, "memory.read")).toEqual([
      expect.objectContaining({ subject, effect: "allow", count: 1, memory_ids: [stored!.memory_id], kinds: ["preference"] }),
    ]);
    expect(second.answer).toContain("Prefers email over phone calls");
    // Nothing new was proposed, so no memory_write step ran.
    expect(ofKind(events, "memory.write")).toEqual([]);
  });

  it("the model receives the memory as context on every turn, but the thread does not keep it", async ({ runtime, makeRuntime }) => {
    const subject = freshSubject();
    await consent(runtime, subject);
    await runtime.deps.memory((await runtime.deps.release("support@1")).policy).write("acme", subject, { kind: "preference", content: "Speaks Portuguese" }, caller);
    const model = new ScriptedChatModel([aiToolCall("lookup_order", { order_id: "A-1001" }), aiText("Order A-1001 was delivered.")]);
    const agent = await makeRuntime({ model });
    const record = await agent.start({ ...requester, subject, goal: "Where is my order A-1001?" });
    expect(record.status).toBe("completed");
    expect(model.calls).toHaveLength(2);
    for (const call of model.calls) {
      const memoryMessages = call.messages.filter((message) => message.type === "system" && String(message.content).includes("<customer-memory"));
      expect(memoryMessages).toHaveLength(1);
      expect(String(memoryMessages[0]!.content)).toContain("Speaks Portuguese");
      // Right before the goal: the model reads it as context for this request.
      const goalIndex = call.messages.findIndex((message) => message.type === "human");
      expect(call.messages[goalIndex - 1]).toBe(memoryMessages[0]);
    }
    const state = await agent.threadState("acme", record.thread_id);
    expect(JSON.stringify(state.values.messages)).not.toContain("Speaks Portuguese");
  });

  it("consent withdrawn while the run waits for an approval: the turns after the resume no longer see the memory", async ({ runtime, makeRuntime }) => {
    const subject = freshSubject();
    await consent(runtime, subject);
    const written = await runtime.deps.memory((await runtime.deps.release("support@1")).policy).write("acme", subject, { kind: "preference", content: "Prefers email over phone calls" }, caller);
    const model = new ScriptedChatModel([
      aiToolCall("send_message", { to: "jane.doe@example.com", subject: "Your order", body: "It ships today." }, "call_send_memory"),
      aiText("I have sent the customer an update."),
    ]);
    const agent = await makeRuntime({ model });
    const waiting = await agent.start({ ...requester, subject, goal: "Tell the customer of A-1001 it ships today." });
    expect(waiting.status).toBe("waiting_approval");
    expect(String(model.calls[0]!.messages.map((message) => message.content))).toContain("Prefers email over phone calls");
    expect(await runtime.memory.setConsent("acme", subject, false, caller)).toEqual({ granted: false, deleted: 1 });
    const done = await agent.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    expect(done.status).toBe("completed");
    const afterResume = model.calls.at(-1)!.messages;
    expect(afterResume.some((message) => String(message.content).includes("<customer-memory"))).toBe(false);
    // The second look is traced: which entries the run dropped, by id, never by content.
    const reads = ofKind(await traceOf(agent, done.run_id), "memory.read");
    expect(reads.at(-1)).toMatchObject({ rule: "revalidated", count: 0, memory_ids: [], dropped: 1 });
    expect(JSON.stringify(reads)).not.toContain("Prefers email");
    expect(reads[0]).toMatchObject({ memory_ids: [written.memory!.memoryId] });
  });

  it("a memory corrected while the run waits reaches the model in its corrected form", async ({ runtime, makeRuntime }) => {
    const subject = freshSubject();
    await consent(runtime, subject);
    const written = await runtime.deps.memory((await runtime.deps.release("support@1")).policy).write("acme", subject, { kind: "preference", content: "Speaks Dutch" }, caller);
    const model = new ScriptedChatModel([
      aiToolCall("send_message", { to: "jane.doe@example.com", subject: "Your order", body: "It ships today." }, "call_send_corrected"),
      aiText("Sent."),
    ]);
    const agent = await makeRuntime({ model });
    const waiting = await agent.start({ ...requester, subject, goal: "Tell the customer of A-1001 it ships today." });
    await runtime.memory.correct("acme", subject, written.memory!.memoryId, "Speaks Flemish", caller);
    await agent.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    const context = model.calls.at(-1)!.messages.map((message) => String(message.content)).join("\n");
    expect(context).toContain("Speaks Flemish");
    expect(context).not.toContain("Speaks Dutch");
  });

  it("a run without a subject reads no memory and its proposals are denied as no-subject", async ({ runtime }) => {
    const record = await runtime.start({ ...requester, goal: "Where is my order A-1001? Please remember that I work nights." });
    const events = await traceOf(runtime, record.run_id);
    expect(ofKind(events, "memory.read")).toEqual([]);
    expect(ofKind(events, "memory.write")).toEqual([expect.objectContaining({ effect: "deny", rule: "no-subject", stored: false })]);
    expect(ofKind(events, "memory.write")[0]).not.toHaveProperty("subject");
  });

  it("a run on the same thread without a subject does not inherit the previous run's subject or memory", async ({ runtime }) => {
    const subject = freshSubject();
    await consent(runtime, subject);
    await runtime.deps.memory((await runtime.deps.release("support@1")).policy).write("acme", subject, { kind: "fact", content: "Has a standing order" }, caller);
    const first = await runtime.start({ ...requester, subject, goal: "Where is my order A-1001?" });
    expect(first.answer).toContain("Has a standing order");
    const second = await runtime.start({ ...requester, threadId: first.thread_id, goal: "Where is my order A-1001?" });
    expect(second.answer).not.toContain("Has a standing order");
    expect(ofKind(await traceOf(runtime, second.run_id), "memory.read")).toEqual([]);
    expect((await runtime.threadState("acme", first.thread_id)).values.memories).toBeUndefined();
  });

  it("expired entries are not read, even before the sweep deletes them", async ({ store, runtime }) => {
    const subject = freshSubject();
    await store.db.query(
      `INSERT INTO memories (tenant_id, memory_id, subject, kind, content, created_at, expires_at, updated_at)
       VALUES ('acme', $1, $2, 'fact', 'Old fact', now() - interval '100 days', now() - interval '10 days', now() - interval '100 days')`,
      [`mem-old-${subject}`, subject],
    );
    const record = await runtime.start({ ...requester, subject, goal: "Where is my order A-1001?" });
    expect(ofKind(await traceOf(runtime, record.run_id), "memory.read")).toEqual([expect.objectContaining({ count: 0, memory_ids: [] })]);
    expect(record.answer).not.toContain("Old fact");
  });

  it("a proposed card number is redacted before it is stored", async ({ store, runtime, makeRuntime }) => {
    const subject = freshSubject();
    await consent(runtime, subject);
    const model = new ScriptedChatModel([
      aiToolCall("remember", { kind: "fact", content: "Pays with card 4242 4242 4242 4242 and prefers email" }),
      aiText("Noted."),
    ]);
    const agent = await makeRuntime({ model });
    const record = await agent.start({ ...requester, subject, goal: "Remember my card please." });
    expect(ofKind(await traceOf(agent, record.run_id), "memory.write")).toEqual([expect.objectContaining({ stored: true })]);
    const [stored] = await rows(store, subject);
    expect(stored!.content).toContain("prefers email");
    expect(stored!.content).not.toMatch(/4242/);
  });

  it("a malformed proposal from the model is denied at the gate and traced, and nothing is stored", async ({ store, runtime, makeRuntime }) => {
    const subject = freshSubject();
    await consent(runtime, subject);
    const model = new ScriptedChatModel([aiToolCall("remember", { kind: "secret", content: "x" }), aiText("Done.")]);
    const agent = await makeRuntime({ model });
    const record = await agent.start({ ...requester, subject, goal: "Remember this." });
    // The run ends normally (escalated: the answer rests on no evidence), not as a failure.
    expect(record.status).toBe("escalated");
    const events = await traceOf(agent, record.run_id);
    // The remember tool's schema only takes preference|fact: policy denies the call, so nothing is proposed.
    expect(ofKind(events, "policy.decision")).toContainEqual(expect.objectContaining({ "gen_ai.tool.name": "remember", effect: "deny", rule: "tool-args-invalid" }));
    expect(ofKind(events, "tool.call")).toEqual([]);
    expect(ofKind(events, "memory.write")).toEqual([]);
    expect(await rows(store, subject)).toEqual([]);
  });

  it("the workflow reads memory at the start and records how the refund ended as a fact, once approved", async ({ store, runtime }) => {
    const subject = freshSubject();
    await consent(runtime, subject);
    const orderId = await addOrder(store.db);
    const waiting = await runtime.start({ ...requester, subject, goal: refundGoal(orderId) });
    expect(waiting.route).toBe("refund_workflow");
    expect(waiting.status).toBe("waiting_approval");
    expect(ofKind(await traceOf(runtime, waiting.run_id), "memory.read")).toEqual([expect.objectContaining({ subject, count: 0 })]);
    expect(await rows(store, subject)).toEqual([]); // nothing is written before the run ends

    const done = await runtime.decide({ ...approver, tenant: "acme", approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    expect(done.status).toBe("completed");
    const written = ofKind(await traceOf(runtime, done.run_id), "memory.write");
    expect(written).toEqual([expect.objectContaining({ kind: "fact", effect: "allow", stored: true, proposed_by: "workflow" })]);
    const [fact] = await rows(store, subject);
    expect(fact).toMatchObject({ kind: "fact", source_run: done.run_id });
    expect(fact!.content).toMatch(new RegExp(`Refund request of 42\\.00 for order ${orderId} on \\d{4}-\\d{2}-\\d{2}: issued`));
    // refunds@1: facts are kept 90 days.
    expect(new Date(fact!.expires_at).getTime() - new Date(fact!.created_at).getTime()).toBe(90 * DAY_MS);
  });

  it("a workflow run without a subject proposes nothing and runs no memory step", async ({ store, runtime }) => {
    const record = await runtime.start({ ...requester, goal: refundGoal(await addOrder(store.db, { total: 900 }), "it is broken") });
    const events = await traceOf(runtime, record.run_id);
    expect(events.some((event) => event.kind.startsWith("memory."))).toBe(false);
    expect(events.some((event) => event.node === "memory_write" || event.node === "memory_read")).toBe(false);
  });

  it("a memory_write step run twice (a crash and recovery) stores each proposal once", async ({ store, runtime }) => {
    const subject = freshSubject();
    await consent(runtime, subject);
    const memory = runtime.deps.memory((await runtime.deps.release("support@1")).policy);
    const memoryId = memoryIdFor("acme", "run-crashed", "call_1");
    const input = { kind: "preference", content: "Prefers letters", sourceRun: "run-crashed", memoryId };
    const first = await memory.write("acme", subject, input, caller);
    const again = await memory.write("acme", subject, input, caller);
    expect(again.memory).toEqual(first.memory);
    expect(await rows(store, subject)).toHaveLength(1);
    const audit = await store.db.query("SELECT action FROM memory_audit WHERE tenant_id = 'acme' AND subject = $1", [subject]);
    expect(audit.rows).toEqual([{ action: "write" }]);
  });

  describe("with a release whose policy denies memory retrieval", () => {
    let root: string;
    let locked: Runtime;
    it.beforeAll(async ({ store }) => {
      root = mkdtempSync(join(tmpdir(), "warden-memory-root-"));
      for (const dir of ["releases", "prompts", "policies"]) cpSync(join(PROJECT, dir), join(root, dir), { recursive: true });
      const policyPath = join(root, "policies", "refunds@1.json");
      const policy = JSON.parse(readFileSync(policyPath, "utf8"));
      policy.rules.unshift({
        id: "memory-retrieval-off",
        point: "retrieval",
        when: { path: "subject.source", op: "eq", value: "memory" },
        effect: "deny",
        reason: "Memory retrieval is off in this release",
      });
      writeFileSync(policyPath, JSON.stringify(policy));
      locked = await runtimeOn(store, { root });
    });
    afterAll(async () => {
      await locked?.close();
      rmSync(root, { recursive: true, force: true });
    });

    it("the read is denied and traced, the run goes on without memory", async ({ runtime }) => {
      const subject = freshSubject();
      await consent(runtime, subject);
      await runtime.deps.memory((await runtime.deps.release("support@1")).policy).write("acme", subject, { kind: "fact", content: "Hidden fact" }, caller);
      const record = await locked.start({ ...requester, subject, goal: "Where is my order A-1001?" });
      expect(record.status).toBe("completed");
      expect(record.answer).not.toContain("Hidden fact");
      const events = await traceOf(locked, record.run_id);
      expect(ofKind(events, "memory.read")).toEqual([expect.objectContaining({ effect: "deny", rule: "memory-retrieval-off", count: 0 })]);
      expect(ofKind(events, "policy.decision")).toContainEqual(expect.objectContaining({ point: "retrieval", effect: "deny", rule: "memory-retrieval-off" }));
    });
  });
});
