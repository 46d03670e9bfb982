import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/open-store.js";
import { traceEventJsonSchema, validateTraceEvent } from "../../src/trace/event-schema.js";
import { TRACE_SCHEMA_PATH, traceEventJsonSchemaText } from "../../src/trace/generate-trace-schema.js";
import { findPii } from "../../src/trace/pii.js";
import { createRedactor } from "../../src/trace/redact.js";
import { createTraceStore } from "../../src/trace/trace-store.js";
import type { TraceEvent, TraceScope } from "../../src/trace/types.js";
import { backends } from "../helpers/backends.js";

const { redact } = createRedactor({ fields: ["customer_email", "SSN"] });

describe("redaction", () => {
  it.each([
    ["email", "write to jane.doe+refunds@example.co.uk today", "write to [email] today"],
    ["international phone", "call +44 20 7946 0958", "call [phone]"],
    ["US phone with area code in parentheses", "call +1 (555) 123-4567 now", "call [phone] now"],
    ["US phone with dashes", "my number is 555-123-4567.", "my number is [phone]."],
    ["US phone with dots", "555.123.4567", "[phone]"],
    ["toll-free number", "1-800-555-0199", "[phone]"],
    ["national phone with trunk zero", "tel 020 7946 0958", "tel [phone]"],
    ["local seven-digit phone", "ring 555-1234", "ring [phone]"],
    ["card with spaces", "card 4111 1111 1111 1111 exp 12/29", "card [card] exp 12/29"],
    ["card with dashes", "5500-0000-0000-0004", "[card]"],
    ["Amex card", "378282246310005", "[card]"],
    ["OpenAI key", "key sk-proj-AbCdEfGhIjKlMnOp1234", "key [secret]"],
    ["Warden API key", "use wdn_live_9f8e7d6c5b4a", "use [secret]"],
    ["bearer token", "Authorization: Bearer eyJhbGciOi.abc-def_123", "Authorization: Bearer [secret]"],
    ["AWS access key", "AKIAIOSFODNN7EXAMPLE", "[secret]"],
    ["GitHub token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[secret]"],
    ["password pair", "login?user=jo&password=hunter2&x=1", "login?user=jo&password=[secret]&x=1"],
    ["api_key pair in embedded JSON", '{"api_key": "abc123"}', '{"api_key": "[secret]"}'],
  ])("replaces a %s", (_name, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ["order ids", "order A-1001 and G-2001, ticket ORD-2024-000123"],
    ["ISO dates and timestamps", "delivered 2024-05-01, at 2024-05-01T10:20:30.123Z, due 05-01-2024 10:20"],
    ["money amounts", "refund 42.00 of $1,234.56 (12345.67 EUR, 1 234 567.89)"],
    ["UUIDs and hashes", "run c56a4180-65aa-42ec-a945-5fd21dec0538 sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    ["numbers that fail Luhn or look like epoch milliseconds", "4111 1111 1111 1112 at 1714567890123"],
    ["model names and tool call ids", "gpt-4.1-mini-2025-04-14 call_abc123 192.168.100.200"],
  ])("leaves %s alone", (_name, input) => {
    expect(redact(input)).toBe(input);
    expect(findPii(input)).toEqual([]);
  });

  it("replaces the values of sensitive and configured keys at any depth, keeping token counts", () => {
    const input = {
      headers: { Authorization: "Basic abc", Cookie: "sid=1", "x-api-key": "k" },
      nested: [{ db_password: "pw", accessToken: "t", apiKey: 7, client_secret: { a: 1 } }],
      Customer_Email: "someone",
      ssn: "078-05-1120",
      "gen_ai.usage.input_tokens": 12,
      args_hash: "abc",
    };
    expect(redact(input)).toEqual({
      headers: { Authorization: "[redacted]", Cookie: "[redacted]", "x-api-key": "[redacted]" },
      nested: [{ db_password: "[redacted]", accessToken: "[redacted]", apiKey: "[redacted]", client_secret: "[redacted]" }],
      Customer_Email: "[redacted]",
      ssn: "[redacted]",
      "gen_ai.usage.input_tokens": 12,
      args_hash: "abc",
    });
  });

  it("deep-copies: the input is untouched, dates become ISO strings, card-number integers are replaced", () => {
    const input = { note: "jane@example.com", when: new Date("2024-05-01T00:00:00Z"), pan: 4111111111111111, total: 4200, list: ["555-123-4567"] };
    const output = redact(input);
    expect(output).toEqual({ note: "[email]", when: "2024-05-01T00:00:00.000Z", pan: "[card]", total: 4200, list: ["[phone]"] });
    expect(input.note).toBe("jane@example.com");
    expect(input.list[0]).toBe("555-123-4567");
  });

  it("survives cycles and errors without leaking their text", () => {
    const cyclic: Record<string, unknown> = { email: "a@b.io" };
    cyclic.self = cyclic;
    expect(redact(cyclic)).toEqual({ email: "[email]", self: "[circular]" });
    expect(redact({ error: new Error("no user a@b.io") })).toEqual({ error: { name: "Error", message: "no user [email]" } });
  });

  it("findPii reports each kind with the matched text, and nothing in redacted output", () => {
    const text = "jane@example.com 555-123-4567 4111-1111-1111-1111 sk-abcdefghijklmnopqrstu";
    expect(findPii(text)).toEqual([
      { kind: "secret", match: "sk-abcdefghijklmnopqrstu" },
      { kind: "email", match: "jane@example.com" },
      { kind: "card", match: "4111-1111-1111-1111" },
      { kind: "phone", match: "555-123-4567" },
    ]);
    expect(findPii(redact(text))).toEqual([]);
  });
});

describe("trace event JSON schema", () => {
  it("docs/trace-event.schema.json is exactly what the zod schemas generate", () => {
    expect(readFileSync(TRACE_SCHEMA_PATH, "utf8")).toBe(traceEventJsonSchemaText());
  });
});

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const validateJson = ajv.compile(JSON.parse(readFileSync(TRACE_SCHEMA_PATH, "utf8")) as object);

describe.each(backends)("trace store on $name", (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store?.close();
  });

  const scope = (tenant = "acme"): TraceScope => ({ tenant, runId: randomUUID(), release: "support@1" });
  const rawEvents = async (s: TraceScope) =>
    (await store.db.query<{ seq: number; event: string }>(
      "SELECT seq, event::text AS event FROM run_events WHERE tenant_id = $1 AND run_id = $2 ORDER BY seq",
      [s.tenant, s.runId],
    )).rows;

  it("an email in an emitted attribute never reaches run_events, the hook or the buffer", async () => {
    const seen: TraceEvent[] = [];
    const traces = createTraceStore(store.db, { onEvent: (event) => seen.push(structuredClone(event)) });
    const s = scope();
    const trace = traces.forRun(s);
    const attributes = { step: "lookup", status: "ok", detail: "customer jane.doe@example.com, card 4111 1111 1111 1111" };
    trace.emit("workflow.step", attributes, "lookup_order");
    attributes.detail = "mutated after emit: sam@example.com";
    const events = await trace.events();
    expect(events).toHaveLength(1);
    expect(events[0]!.attributes.detail).toBe("customer [email], card [card]");
    const raw = await rawEvents(s);
    expect(raw).toHaveLength(1);
    expect(raw[0]!.event).not.toMatch(/example\.com|4111/);
    expect(seen.map((event) => event.attributes.detail)).toEqual(["customer [email], card [card]"]);
    await traces.release(s.runId);
  });

  it("stores a NUL character as U+FFFD instead of failing the batch", async () => {
    const traces = createTraceStore(store.db);
    const s = scope();
    const trace = traces.forRun(s);
    trace.emit("workflow.step", { step: "parse", status: "ok", detail: "bytes a\u0000b" });
    expect((await trace.events()).map((event) => event.attributes.detail)).toEqual(["bytes a\uFFFDb"]);
    await traces.release(s.runId);
  });

  it("buffers emits and writes ten events with one INSERT, numbered 1..10 with their node", async () => {
    const traces = createTraceStore(store.db);
    const s = scope();
    const trace = traces.forRun(s);
    const before = store.db.statementCount();
    for (let i = 0; i < 10; i++) trace.emit("workflow.step", { step: `step-${i}`, status: "ok" }, "refund_workflow");
    expect(store.db.statementCount()).toBe(before);
    await trace.flush();
    expect(store.db.statementCount() - before).toBe(1);
    const stored = await traces.read(s.tenant, s.runId);
    expect(stored.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(stored.map((event) => event.attributes.step)).toEqual(Array.from({ length: 10 }, (_, i) => `step-${i}`));
    expect(stored[0]).toMatchObject({ run_id: s.runId, tenant: "acme", release: "support@1", kind: "workflow.step", node: "refund_workflow" });
    await traces.release(s.runId);
  });

  it("flushes on its own when the buffer reaches batchSize, and onEvent gets final seqs in order", async () => {
    const seqs: number[] = [];
    let reached!: () => void;
    const fourStored = new Promise<void>((resolve) => (reached = resolve));
    const traces = createTraceStore(store.db, {
      batchSize: 4,
      onEvent: (event) => {
        seqs.push(event.seq);
        if (seqs.length === 4) reached();
      },
    });
    const s = scope();
    const trace = traces.forRun(s);
    for (let i = 0; i < 4; i++) trace.emit("workflow.step", { step: `s${i}`, status: "ok" });
    await fourStored;
    expect((await rawEvents(s)).map((row) => row.seq)).toEqual([1, 2, 3, 4]);
    trace.emit("workflow.step", { step: "s4", status: "ok" });
    await trace.flush();
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    await traces.release(s.runId);
  });

  it("continues seq across trace stores (processes) and resumes", async () => {
    const s = scope();
    const first = createTraceStore(store.db);
    first.forRun(s).emit("run.started", { thread_id: "t1", actor: "u1", roles: ["agent"], goal: "refund", tools: [] });
    first.forRun(s).emit("route.decided", { route: "refund_workflow", reason: "keyword" });
    await first.release(s.runId);

    const second = createTraceStore(store.db);
    const resumed = second.forRun(s);
    resumed.emit("approval.resolved", { approval_id: "ap1", decision: "approve", approver: "boss", "gen_ai.tool.call.id": "c1", args_hash: "h" });
    resumed.emit("run.finished", { status: "completed", evidence: [] });
    const events = await resumed.events();
    expect(events.map((event) => [event.seq, event.kind])).toEqual([
      [1, "run.started"],
      [2, "route.decided"],
      [3, "approval.resolved"],
      [4, "run.finished"],
    ]);
    await second.release(s.runId);
  });

  it("keeps seq contiguous and unique when two processes append to the same run at once", async () => {
    const s = scope();
    const writers = ["left", "middle", "right"];
    const writer = async (traces: ReturnType<typeof createTraceStore>, name: string) => {
      const trace = traces.forRun(s);
      for (let i = 0; i < 12; i++) {
        trace.emit("workflow.step", { step: `${name}-${i}`, status: "ok" });
        if (i % 2 === 1) await trace.flush();
      }
      await traces.release(s.runId);
    };
    // One TraceStore per writer, as separate processes would have; on Postgres they really run concurrently.
    await Promise.all(writers.map((name) => writer(createTraceStore(store.db, { batchSize: 3 }), name)));
    const stored = await createTraceStore(store.db).read(s.tenant, s.runId);
    expect(stored.map((event) => event.seq)).toEqual(Array.from({ length: 36 }, (_, i) => i + 1));
    for (const name of writers) {
      const own = stored.filter((event) => String(event.attributes.step).startsWith(name));
      expect(own.map((event) => event.attributes.step)).toEqual(Array.from({ length: 12 }, (_, i) => `${name}-${i}`));
    }
    // The seq inside the stored event is the row's seq.
    expect((await rawEvents(s)).every((row) => (JSON.parse(row.event) as TraceEvent).seq === row.seq)).toBe(true);
  });

  it("retries a seq collision under the run's advisory lock and stays locked for that run", async () => {
    let injected = 0;
    let transactions = 0;
    const colliding = {
      ...store.db,
      query: ((text: string, params?: unknown[]) => {
        if (injected === 0 && text.includes("INSERT INTO run_events")) {
          injected++;
          return Promise.reject(Object.assign(new Error("duplicate key"), { code: "23505" }));
        }
        return store.db.query(text, params);
      }) as typeof store.db.query,
      transaction: ((fn) => {
        transactions++;
        return store.db.transaction(fn);
      }) as typeof store.db.transaction,
    };
    const traces = createTraceStore(colliding);
    const s = scope();
    const trace = traces.forRun(s);
    trace.emit("workflow.step", { step: "a", status: "ok" });
    await trace.flush();
    trace.emit("workflow.step", { step: "b", status: "ok" });
    await trace.flush();
    expect(injected).toBe(1);
    expect(transactions).toBe(2);
    expect((await traces.read(s.tenant, s.runId)).map((event) => [event.seq, event.attributes.step])).toEqual([[1, "a"], [2, "b"]]);
    await traces.release(s.runId);
  });

  it("read is tenant-scoped and resumes after a seq", async () => {
    const traces = createTraceStore(store.db);
    const s = scope("acme");
    const trace = traces.forRun(s);
    for (let i = 0; i < 5; i++) trace.emit("workflow.step", { step: `s${i}`, status: "ok" });
    await traces.release(s.runId);
    expect(await traces.read("globex", s.runId)).toEqual([]);
    expect((await traces.read("acme", s.runId, 3)).map((event) => event.seq)).toEqual([4, 5]);
    expect(await traces.read("acme", s.runId, 5)).toEqual([]);
  });

  it("release flushes and forgets the run; forRun hands out one trace per run until then", async () => {
    const traces = createTraceStore(store.db);
    const s = scope();
    const trace = traces.forRun(s);
    expect(traces.forRun(s)).toBe(trace);
    expect(() => traces.forRun({ ...s, tenant: "globex" })).toThrow(/another tenant/);
    trace.emit("run.failed", { error_code: "MODEL_ERROR", error_message: "boom" });
    expect(traces.activeRuns()).toBe(1);
    await traces.release(s.runId);
    expect(traces.activeRuns()).toBe(0);
    expect((await rawEvents(s)).map((row) => row.seq)).toEqual([1]);
    expect(traces.forRun(s)).not.toBe(trace);
    await traces.release(s.runId);
  });

  it("keeps buffered events when a flush fails, and writes them on the next flush", async () => {
    let fail = true;
    const flaky = {
      ...store.db,
      query: ((text: string, params?: unknown[]) =>
        fail ? Promise.reject(new Error("connection lost")) : store.db.query(text, params)) as typeof store.db.query,
    };
    const traces = createTraceStore(flaky);
    const s = scope();
    const trace = traces.forRun(s);
    trace.emit("workflow.step", { step: "a", status: "ok" });
    await expect(trace.flush()).rejects.toThrow("connection lost");
    trace.emit("workflow.step", { step: "b", status: "ok" });
    fail = false;
    await trace.flush();
    expect((await traces.read(s.tenant, s.runId)).map((event) => event.attributes.step)).toEqual(["a", "b"]);
    await traces.release(s.runId);
  });

  it("stored events of every kind validate against docs/trace-event.schema.json", async () => {
    const traces = createTraceStore(store.db);
    const s = scope();
    const trace = traces.forRun(s);
    const call = { "gen_ai.tool.call.id": "call_1", "gen_ai.tool.name": "issue_refund" };
    trace.emit("run.started", { thread_id: "t", actor: "jane@example.com", roles: ["support"], goal: "refund A-1001", tools: ["issue_refund"] }, "intake");
    trace.emit("route.decided", { route: "support_agent", reason: "open question" }, "route");
    trace.emit("workflow.step", { step: "check_order", status: "skipped" });
    trace.emit("model.call", {
      "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4.1-mini", "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 14, latency_ms: 230, tool_calls: [call], "gen_ai.response.finish_reasons": ["tool_calls"],
    });
    trace.emit("policy.decision", { point: "tool_call", effect: "require_approval", rule: "cap", reason: "over cap", policy: "refunds@1", proposed_by: "model", ...call, args_hash: "h1" });
    trace.emit("approval.requested", { approval_id: "ap1", ...call, args_hash: "h1", rule: "cap", reason: "over cap", requested_by: "u1" });
    trace.emit("approval.resolved", { approval_id: "ap1", decision: "approve", approver: "boss", "gen_ai.tool.call.id": "call_1", args_hash: "h1", comment: "ok" });
    trace.emit("tool.call", { ...call, side_effect: "irreversible", status: "ok", latency_ms: 12, retries: 0, cost: 0.3, effect_id: "e1", args_hash: "h1", origin: "model" });
    trace.emit("memory.read", { subject: "cust-1", effect: "allow", rule: "default:retrieval", count: 1, memory_ids: ["mem_1"], kinds: ["preference"] }, "memory_read");
    trace.emit("memory.write", { subject: "cust-1", kind: "preference", effect: "deny", rule: "default:memory_write", reason: "no consent", stored: false, proposed_by: "model" }, "memory_write");
    trace.emit("flag.applied", { flag: "tool", target: "issue_refund", scope: "tenant", reason: "provider incident", set_by: "ops", action: "call not executed; run escalated" });
    trace.emit("eval.result", { evaluator: "answer_grounded", pass: true, score: 1, detail: "fine" });
    trace.emit("run.finished", { status: "completed", answer: "Refunded 42.00", evidence: ["call_1"] });
    trace.emit("run.failed", { error_code: "TOOL_FAILED", error_message: "after finish, for the schema's sake" });
    const events = await trace.events();
    expect(events).toHaveLength(14);
    for (const event of events) {
      expect(validateJson(event), `${event.kind}: ${ajv.errorsText(validateJson.errors)}`).toBe(true);
      expect(validateTraceEvent(event).ok).toBe(true);
    }
    expect(events[0]!.attributes.actor).toBe("[email]");
    await traces.release(s.runId);
  });

  it("the schema rejects an event whose attributes break its kind's contract", () => {
    const event = {
      run_id: "r", seq: 1, at: new Date().toISOString(), tenant: "acme", release: "support@1", kind: "tool.call",
      attributes: { "gen_ai.tool.name": "x", "gen_ai.tool.call.id": "c", side_effect: "write", status: "maybe", latency_ms: 1, retries: 0, args_hash: "h", origin: "model" },
    };
    expect(validateJson(event)).toBe(false);
    expect(validateTraceEvent(event).ok).toBe(false);
    expect(validateJson({ ...event, attributes: { ...event.attributes, status: "ok" } })).toBe(true);
    expect(traceEventJsonSchema()).toHaveProperty("oneOf");
  });
});
