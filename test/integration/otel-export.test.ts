import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runObserverOf } from "../../src/trace/run-observer.js";
import { createRuntime, type Runtime } from "../../src/runtime/create-runtime.js";
import type { Store } from "../../src/store/open-store.js";
import { otelRunIds } from "../../src/trace/otel-ids.js";
import { backends } from "../helpers/backends.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedRequest, type ReceivedSpan } from "../helpers/otlp-receiver.js";
import { addOrder, approver, requester } from "../helpers/runtime.js";

const EMAIL = "jane.doe@example.com";
const CARD = "4111 1111 1111 1111";
const PHONE = "555-123-4567";
const API_KEY = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e";
const SECRETS = [EMAIL, CARD, PHONE, API_KEY];

function leaks(requests: ReceivedRequest[]): string[] {
  const found: string[] = [];
  for (const request of requests) {
    for (const secret of SECRETS) {
      const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), JSON.stringify(JSON.stringify(secret)).slice(2, -2), ...(/^[\d -]+$/.test(secret) ? [secret.replace(/\D/g, "")] : [])]);
      for (const form of forms) if (request.raw.includes(form) || request.body.includes(form)) found.push(`${request.path}: ${secret}`);
    }
  }
  return found;
}

const spansOfRun = (receiver: OtlpReceiver, runId: string) => receiver.spans.filter((span) => span.attributes["warden.run_id"] === runId);
const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) => spans.filter((span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId);

describe.each(backends)("OTLP export on $name", (backend) => {
  let receiver: OtlpReceiver;
  let store: Store;
  let env: Record<string, string>;
  const runtimes: Runtime[] = [];
  const open = async (overrides: Record<string, string> = {}) => {
    const runtime = await createRuntime({ store, env: { ...env, ...overrides } });
    runtimes.push(runtime);
    return runtime;
  };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "warden-test" };
    store = await backend.open();
  });
  afterAll(async () => {
    for (const runtime of runtimes) await runtime.close();
    await store.close();
    await receiver.close();
  });

  it("exports a refund through its approval as one trace: one invoke_workflow span per execution, chat and execute_tool spans below", async () => {
    const orderId = await addOrder(store.db, { note: `Customer card ${CARD}, call ${PHONE}, key ${API_KEY}`, email: EMAIL });
    const first = await open();
    const waiting = await first.start({ ...requester, goal: `Refund order ${orderId}, it arrived broken. Reach me at ${EMAIL} or ${PHONE}; card ${CARD}; key ${API_KEY}.` });
    await first.close(); // flushes; the resume runs in another runtime, as in another process
    const second = await open();
    const done = await second.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    expect(done.status).toBe("completed");
    await second.close();

    expect(leaks(receiver.requests)).toEqual([]);
    expect(receiver.requests.every((request) => request.path === "/v1/traces" && String(request.headers["content-type"]).includes("json"))).toBe(true);
    const spans = spansOfRun(receiver, done.run_id);
    const roots = spans.filter((span) => span.name === "invoke_workflow refund_workflow");
    expect(roots).toHaveLength(2);
    const [start, resume] = [roots.find((span) => span.attributes["warden.execution"] === "start")!, roots.find((span) => span.attributes["warden.execution"] === "resume")!];
    // One trace, its id derived from the run id: the first execution is the root, the resume its child.
    const ids = otelRunIds(done.run_id);
    expect(start).toMatchObject({ traceId: ids.traceId, spanId: ids.spanId, parentSpanId: undefined, kind: 1 });
    expect(resume).toMatchObject({ traceId: ids.traceId, parentSpanId: ids.spanId });
    expect(spans.every((span) => span.traceId === ids.traceId)).toBe(true);
    for (const [span, status] of [[start, "waiting_approval"], [resume, "completed"]] as const) {
      expect(span.attributes).toMatchObject({
        "gen_ai.operation.name": "invoke_workflow",
        "gen_ai.workflow.name": "refund_workflow",
        "gen_ai.conversation.id": done.thread_id,
        "warden.run_id": done.run_id,
        "warden.thread_id": done.thread_id,
        "warden.tenant": "acme",
        "warden.release": "support@1",
        "warden.route": "refund_workflow",
        "warden.status": status,
      });
      expect(span.resource["service.name"]).toBe("warden-test");
      expect(span.end >= span.start).toBe(true);
    }
    const lookup = childrenOf(spans, start).find((span) => span.name === "execute_tool lookup_order")!;
    expect(lookup.attributes).toMatchObject({ "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order", "gen_ai.tool.call.id": "wf_lookup_order", "gen_ai.tool.type": "function", "warden.tool.status": "ok" });
    const refund = childrenOf(spans, resume).find((span) => span.name === "execute_tool issue_refund")!;
    expect(refund.attributes).toMatchObject({ "gen_ai.tool.name": "issue_refund", "warden.tool.status": "ok", "warden.tool.side_effect": "irreversible" });
    const chats = childrenOf(spans, resume).filter((span) => span.name.startsWith("chat "));
    expect(chats.length).toBeGreaterThan(0);
    for (const chat of chats) {
      expect(chat.kind).toBe(3); // client
      expect(chat.name).toBe(`chat ${chat.attributes["gen_ai.request.model"]}`);
      expect(chat.attributes).toMatchObject({ "gen_ai.operation.name": "chat", "gen_ai.conversation.id": done.thread_id });
      expect(typeof chat.attributes["gen_ai.usage.input_tokens"]).toBe("number");
      expect(typeof chat.attributes["gen_ai.usage.output_tokens"]).toBe("number");
    }
    // The other trace events are span events of their execution: the approval request here, its resolution there.
    expect(start.events.map((event) => event.name)).toEqual(expect.arrayContaining(["run.started", "route.decided", "approval.requested"]));
    expect(resume.events.map((event) => event.name)).toEqual(expect.arrayContaining(["approval.resolved", "run.finished"]));
  });

  it("exports the agent path as invoke_agent with the model's turns and its tool calls", async () => {
    const orderId = await addOrder(store.db, { note: `Card ${CARD}, phone ${PHONE}`, email: EMAIL });
    const runtime = await open();
    const record = await runtime.start({ ...requester, goal: `Where is my order ${orderId}? My e-mail is ${EMAIL}, my key ${API_KEY}.` });
    expect(record.route).toBe("support_agent");
    await runtime.close();

    expect(leaks(receiver.requests)).toEqual([]);
    const spans = spansOfRun(receiver, record.run_id);
    const root = spans.find((span) => span.name === "invoke_agent support_agent")!;
    expect(root.attributes).toMatchObject({ "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support_agent", "gen_ai.conversation.id": record.thread_id, "warden.status": "completed" });
    expect(root.parentSpanId).toBeUndefined();
    const chats = childrenOf(spans, root).filter((span) => span.attributes["gen_ai.operation.name"] === "chat");
    expect(chats.length).toBeGreaterThanOrEqual(2);
    expect(chats.some((chat) => (chat.attributes["gen_ai.response.finish_reasons"] as string[]).includes("tool_calls"))).toBe(true);
    const tool = childrenOf(spans, root).find((span) => span.name === "execute_tool lookup_order")!;
    expect(tool.attributes["gen_ai.tool.call.id"]).toEqual(expect.any(String));
  });

  it("exports nothing, and observes no run, without an OTLP endpoint", async () => {
    const before = receiver.requests.length;
    const runtime = await createRuntime({ store, env: {} });
    runtimes.push(runtime);
    expect(runObserverOf(runtime.deps)).toBeUndefined();
    const orderId = await addOrder(store.db);
    await runtime.start({ ...requester, goal: `Where is my order ${orderId}?` });
    await runtime.close();
    expect(receiver.requests.length).toBe(before);
  });

  it("keeps runtimes apart: each exports its own runs to its own endpoint", async () => {
    const other = await startOtlpReceiver();
    try {
      const mine = await open();
      const theirs = await open({ OTEL_EXPORTER_OTLP_ENDPOINT: other.url, OTEL_SERVICE_NAME: "other" });
      const a = await mine.start({ ...requester, goal: `Where is my order ${await addOrder(store.db)}?` });
      const b = await theirs.start({ ...requester, goal: `Where is my order ${await addOrder(store.db)}?` });
      await mine.close();
      await theirs.close();
      expect(spansOfRun(receiver, a.run_id).length).toBeGreaterThan(0);
      expect(spansOfRun(receiver, b.run_id)).toEqual([]);
      expect(spansOfRun(other, b.run_id).length).toBeGreaterThan(0);
      expect(spansOfRun(other, a.run_id)).toEqual([]);
      expect(other.spans.every((span) => span.resource["service.name"] === "other")).toBe(true);
    } finally {
      await other.close();
    }
  });
});
