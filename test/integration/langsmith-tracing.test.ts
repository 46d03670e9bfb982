import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../src/runtime/create-runtime.js";
import type { Store } from "../../src/store/open-store.js";
import { createLangSmithClient } from "../../src/trace/langsmith-client.js";
import { backends } from "../helpers/backends.js";
import { startLangSmithStub, type LangSmithStub, type RecordedRequest, type StubRun } from "../helpers/langsmith-stub.js";
import { addOrder, approver, requester } from "../helpers/runtime.js";

/** Planted in goals and order notes: none of it may reach LangSmith in any form. */
const EMAIL = "jane.doe@example.com";
const CARD = "4111 1111 1111 1111";
const PHONE = "555-123-4567";
const API_KEY = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e";
const SECRETS = [EMAIL, CARD, PHONE, API_KEY];

/** Each secret as sent raw, digits only, and JSON-escaped once and twice (a JSON string inside a JSON string). */
function forms(secret: string): string[] {
  const once = JSON.stringify(secret).slice(1, -1);
  const twice = JSON.stringify(JSON.stringify(secret)).slice(2, -2);
  const digits = /^[\d -]+$/.test(secret) ? [secret.replace(/\D/g, "")] : [];
  return [...new Set([secret, once, twice, ...digits])];
}

/** What of the planted data a request carried, in its raw bytes or its decoded body. */
function leaks(requests: RecordedRequest[]): string[] {
  const found: string[] = [];
  for (const request of requests) {
    for (const secret of SECRETS) {
      for (const form of forms(secret)) {
        if (request.raw.includes(form) || request.body.includes(form)) found.push(`${request.method} ${request.path}: ${secret}`);
      }
    }
  }
  return found;
}

const TRACING_VARS = ["LANGSMITH_TRACING", "LANGSMITH_ENDPOINT", "LANGSMITH_API_KEY", "LANGSMITH_PROJECT", "LANGCHAIN_TRACING_V2"] as const;

function saveEnv(): () => void {
  const saved = Object.fromEntries(TRACING_VARS.map((name) => [name, process.env[name]]));
  return () => {
    for (const name of TRACING_VARS) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  };
}

interface Trace {
  root: StubRun;
  runs: StubRun[];
  byId: Map<string, StubRun>;
}

function traceOf(stub: LangSmithStub, runId: string): Trace {
  const runs = stub.runs();
  const root = runs.find((run) => run.name === `warden run ${runId}`);
  expect(root, `root run of ${runId}`).toBeDefined();
  const members = runs.filter((run) => run.trace_id === root!.id);
  return { root: root!, runs: members, byId: new Map(members.map((run) => [run.id, run])) };
}

/** Runs that belong to no Warden trace: what LangChain's env tracer would have sent beside Warden's tracer. */
function strays(stub: LangSmithStub): StubRun[] {
  const roots = new Set(stub.runs().filter((run) => String(run.name).startsWith("warden run ")).map((run) => run.id));
  return stub.runs().filter((run) => !roots.has(String(run.trace_id)));
}

function childrenOf(trace: Trace, parent: StubRun, name?: string): StubRun[] {
  return trace.runs.filter((run) => run.parent_run_id === parent.id && (name === undefined || run.name === name));
}

/** The runs named `name` anywhere below `ancestor`. */
function below(trace: Trace, ancestor: StubRun, name: string): StubRun[] {
  const isBelow = (run: StubRun): boolean => {
    const parent = run.parent_run_id ? trace.byId.get(run.parent_run_id) : undefined;
    return parent !== undefined && (parent.id === ancestor.id || isBelow(parent));
  };
  return trace.runs.filter((run) => run.name === name && isBelow(run));
}

function expectWellFormed(trace: Trace): void {
  expect(trace.root.parent_run_id ?? undefined).toBeUndefined();
  expect(trace.root.trace_id).toBe(trace.root.id);
  for (const run of trace.runs) {
    // Each run is created exactly once: no second (env) tracer sent a copy.
    expect(run.posts, `${run.name} posted once`).toBe(1);
    if (run === trace.root) continue;
    const parent = trace.byId.get(String(run.parent_run_id));
    expect(parent, `parent of ${run.name}`).toBeDefined();
    expect(String(run.dotted_order).startsWith(`${parent!.dotted_order}.`), `${run.name} ordered under ${parent!.name}`).toBe(true);
  }
}

describe("LangSmith tracing switched off", () => {
  let restore: () => void;
  let stub: LangSmithStub;
  let store: Store;

  beforeAll(async () => {
    restore = saveEnv();
    for (const name of TRACING_VARS) delete process.env[name];
    stub = await startLangSmithStub();
    store = await backends[0]!.open();
  });
  afterAll(async () => {
    await store.close();
    await stub.close();
    restore();
  });

  it("sends nothing at all when LANGSMITH_TRACING is unset, even with an endpoint and a key configured", async () => {
    const runtime = await createRuntime({ store, env: { LANGSMITH_ENDPOINT: stub.url, LANGSMITH_API_KEY: "ls-test-key" } });
    const orderId = await addOrder(store.db, { email: EMAIL });
    const waiting = await runtime.start({ ...requester, goal: `Refund order ${orderId}, it arrived broken.` });
    await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    await runtime.start({ ...requester, goal: `Where is my order ${orderId}?` });
    await runtime.close();
    expect(stub.requests).toEqual([]);
  });
});

/**
 * One stand-in for every backend: LangChain's default client (the env tracer's) reads its endpoint once per process,
 * when it is first created, so a second stand-in would never hear from it.
 */
let sharedStub: LangSmithStub | undefined;
afterAll(async () => {
  await sharedStub?.close();
});

describe.each(backends)("LangSmith tracing on $name", (backend) => {
  let restore: () => void;
  let stub: LangSmithStub;
  let store: Store;
  let env: Record<string, string>;
  const runtimes: Runtime[] = [];
  const open = async () => {
    const runtime = await createRuntime({ store, env });
    runtimes.push(runtime);
    return runtime;
  };

  beforeAll(async () => {
    restore = saveEnv();
    // Gzip-compressed multipart bodies: the stub decodes them, and the leak check reads both forms.
    sharedStub ??= await startLangSmithStub({ multipart: true, gzip: true });
    stub = sharedStub;
    stub.reset();
    env = { LANGSMITH_TRACING: "true", LANGSMITH_ENDPOINT: stub.url, LANGSMITH_API_KEY: "ls-test-key", LANGSMITH_PROJECT: "warden-tests" };
    // The scenario that leaked: LangChain's own env tracer is switched on in the same process.
    Object.assign(process.env, env);
    store = await backend.open();
  });
  afterAll(async () => {
    for (const runtime of runtimes) await runtime.close();
    await store.close();
    restore();
  });

  it("traces a refund through its approval as one redacted trace: root run, both executions, nodes, tools and the model", async () => {
    const orderId = await addOrder(store.db, { note: `Customer card ${CARD}, call ${PHONE}, key ${API_KEY}`, email: EMAIL });
    const first = await open();
    const waiting = await first.start({ ...requester, goal: `Refund order ${orderId}, it arrived broken. Reach me at ${EMAIL} or ${PHONE}; card ${CARD}; key ${API_KEY}.` });
    expect(waiting.status).toBe("waiting_approval");
    await first.close(); // the resume happens in another runtime, as in another process
    const second = await open();
    const done = await second.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    expect(done.status).toBe("completed");
    await second.close();

    expect(leaks(stub.requests)).toEqual([]);
    expect(strays(stub)).toEqual([]);
    const trace = traceOf(stub, done.run_id);
    expectWellFormed(trace);
    expect(trace.root.run_type).toBe("chain");
    // Route and status as of the end of the last execution, patched by the second runtime.
    expect(trace.root.extra?.metadata).toMatchObject({ run_id: done.run_id, thread_id: done.thread_id, tenant: "acme", release: "support@1", route: "refund_workflow", status: "completed" });
    expect(trace.root.outputs).toMatchObject({ status: "completed", route: "refund_workflow" });

    const [start] = childrenOf(trace, trace.root, "start");
    const [resume] = childrenOf(trace, trace.root, "resume");
    expect(start && resume, "one child per execution").toBeTruthy();
    for (const execution of [start!, resume!]) {
      expect(execution.extra?.metadata).toMatchObject({ run_id: done.run_id, thread_id: done.thread_id, tenant: "acme", release: "support@1" });
    }
    expect(childrenOf(trace, start!).map((run) => run.name)).toEqual(expect.arrayContaining(["intake", "route", "refund_workflow"]));
    // The workflow's lookup step called the tool; its result (the order's note and e-mail) went out redacted.
    const lookup = below(trace, start!, "lookup_order").find((run) => run.run_type === "tool")!;
    expect(trace.byId.get(String(lookup.parent_run_id))?.name).toBe("lookup_order");
    expect(JSON.stringify(lookup.outputs)).toContain("[card]");
    expect(JSON.stringify(lookup.outputs)).toContain("[email]");
    // After the approval: the refund tool and the model that words the answer, under the resume.
    const refund = below(trace, resume!, "issue_refund").find((run) => run.run_type === "tool");
    expect(refund).toBeDefined();
    expect(below(trace, resume!, "compose_answer").length).toBeGreaterThan(0);
    expect(trace.runs.filter((run) => run.run_type === "llm" && String(run.dotted_order).startsWith(resume!.dotted_order!)).length).toBeGreaterThan(0);
    // Every run of the trace is the same LangSmith thread.
    expect(trace.runs.every((run) => run.extra?.metadata?.thread_id === done.thread_id)).toBe(true);
    expect(stub.requests.filter((request) => request.method === "GET" && request.path === "/info").length).toBeGreaterThan(0);
    expect(stub.runRequests().every((request) => request.headers["x-api-key"] === "ls-test-key")).toBe(true);
  });

  it("traces the agent path: the model's turns and the tools it called nest under their nodes, redacted", async () => {
    const orderId = await addOrder(store.db, { note: `Card ${CARD}, phone ${PHONE}`, email: EMAIL });
    const runtime = await open();
    const record = await runtime.start({ ...requester, goal: `Where is my order ${orderId}? My e-mail is ${EMAIL}, my phone ${PHONE}, my key ${API_KEY}.` });
    expect(record.route).toBe("support_agent");
    expect(record.status).toBe("completed");
    await runtime.close();

    expect(leaks(stub.requests)).toEqual([]);
    expect(strays(stub)).toEqual([]);
    const trace = traceOf(stub, record.run_id);
    expectWellFormed(trace);
    expect(trace.root.extra?.metadata).toMatchObject({ run_id: record.run_id, thread_id: record.thread_id, tenant: "acme", release: "support@1", route: "support_agent", status: "completed" });
    const [start] = childrenOf(trace, trace.root, "start");
    const agentNodes = below(trace, start!, "agent");
    expect(agentNodes.length).toBeGreaterThanOrEqual(2);
    const models = trace.runs.filter((run) => run.run_type === "llm");
    expect(models.length).toBe(agentNodes.length);
    expect(models.every((model) => trace.byId.get(String(model.parent_run_id))?.name === "agent")).toBe(true);
    const tool = trace.runs.find((run) => run.run_type === "tool" && run.name === "lookup_order")!;
    expect(trace.byId.get(String(tool.parent_run_id))?.name).toBe("tools");
    expect(tool.inputs).toMatchObject({ order_id: orderId });
    expect(JSON.stringify(tool.outputs)).toContain("[email]");
    // The goal reached LangSmith, redacted.
    expect(JSON.stringify(trace.root.inputs)).toContain("[email]");
  });

  it("redacts what the client itself leaves alone: serialized, tags, names, extra and feedback comments", async () => {
    const client = createLangSmithClient({ LANGSMITH_ENDPOINT: stub.url, LANGSMITH_API_KEY: "ls-test-key" });
    const id = "019a0000-0000-7000-8000-0000000000aa";
    // `tags` is not in the client's CreateRunParams type, yet RunTree sends it: the payload is built as RunTree does.
    const run = {
      id,
      name: `call ${PHONE}`,
      run_type: "chain",
      inputs: { goal: EMAIL },
      serialized: { kwargs: { note: CARD, openai_api_key: API_KEY } },
      extra: { metadata: { customer: EMAIL }, invocation_params: { prompt: `card ${CARD}` } },
      tags: [EMAIL],
      project_name: "warden-tests",
      trace_id: id,
      dotted_order: `20260101T000000000000Z${id}`,
      start_time: Date.parse("2026-01-01T00:00:00Z"),
    };
    await client.createRun(run);
    await client.updateRun(id, { outputs: { answer: `sent to ${EMAIL}` }, error: `failed for ${API_KEY}`, end_time: Date.now(), trace_id: id, dotted_order: `20260101T000000000000Z${id}` });
    await client.createFeedback(id, "helpfulness", { score: 1, comment: `customer ${EMAIL} said ${PHONE}`, sessionId: "019a0000-0000-7000-8000-0000000000ab" });
    // A caller that skips the queue and ingests directly is redacted the same way.
    const direct = "019a0000-0000-7000-8000-0000000000ac";
    await client.batchIngestRuns({
      runCreates: [{ ...run, id: direct, trace_id: direct, dotted_order: `20260101T000000000000Z${direct}` }],
    });
    await client.awaitPendingTraceBatches();
    expect(leaks(stub.requests)).toEqual([]);
    const sent = stub.runs().find((entry) => entry.id === id)!;
    expect(sent).toMatchObject({ name: "call [phone]", tags: ["[email]"], inputs: { goal: "[email]" }, outputs: { answer: "sent to [email]" }, error: "failed for [secret]" });
    expect(sent.serialized).toEqual({ kwargs: { note: "[card]", openai_api_key: "[redacted]" } });
    expect(stub.runs().find((entry) => entry.id === direct)).toMatchObject({ name: "call [phone]", tags: ["[email]"], serialized: { kwargs: { note: "[card]" } } });
    expect(JSON.stringify(stub.feedback)).toContain("customer [email] said [phone]");
  });

  it("keeps LangChain's own env tracer from sending anything unredacted outside Warden's runs", async () => {
    await open(); // creating a runtime guards the env tracer of this process
    const before = stub.requests.length;
    const model = new FakeListChatModel({ responses: [`Noted: ${EMAIL}, ${CARD}`] });
    await model.invoke(`Customer ${EMAIL} paid with ${CARD}, phone ${PHONE}, key ${API_KEY}`);
    await awaitAllCallbacks();
    const sent = stub.requests.slice(before);
    expect(sent.some((request) => request.path.startsWith("/runs"))).toBe(true);
    expect(leaks(sent)).toEqual([]);
    const run = stub.runs().find((entry) => entry.name === "FakeListChatModel");
    expect(JSON.stringify(run?.serialized)).toContain("[email]"); // the model's responses are in `serialized`
  });
});

describe("LangSmith tracing with JSON batch ingestion", () => {
  let restore: () => void;
  let stub: LangSmithStub;
  let store: Store;

  beforeAll(async () => {
    restore = saveEnv();
    stub = await startLangSmithStub({ multipart: false });
    Object.assign(process.env, { LANGSMITH_TRACING: "true", LANGSMITH_ENDPOINT: stub.url, LANGSMITH_API_KEY: "ls-test-key" });
    store = await backends[0]!.open();
  });
  afterAll(async () => {
    await store.close();
    await stub.close();
    restore();
  });

  it("posts redacted runs to /runs/batch when the server asks for JSON", async () => {
    const runtime = await createRuntime({ store, env: { LANGSMITH_TRACING: "true", LANGSMITH_ENDPOINT: stub.url, LANGSMITH_API_KEY: "ls-test-key" } });
    const orderId = await addOrder(store.db, { note: `card ${CARD}`, email: EMAIL });
    const waiting = await runtime.start({ ...requester, goal: `Refund order ${orderId}, it arrived broken. ${EMAIL}` });
    const done = await runtime.decide({ ...approver, approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve" });
    await runtime.close();
    expect(stub.requests.some((request) => request.path === "/runs/batch")).toBe(true);
    expect(stub.requests.some((request) => request.path === "/runs/multipart")).toBe(false);
    expect(leaks(stub.requests)).toEqual([]);
    const trace = traceOf(stub, done.run_id);
    expectWellFormed(trace);
    expect(childrenOf(trace, trace.root).map((run) => run.name).sort()).toEqual(["resume", "start"]);
  });
});
