import type { FastifyInstance, InjectOptions } from "fastify";
import { describe, expect } from "vitest";
import type { Store } from "../../src/store/open-store.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, refundGoal } from "../helpers/runtime.js";
import type { TestServer } from "../helpers/server.js";

/** Ids of real acme rows, so hostile bodies hit live resources (a pending approval, a waiting run). */
interface Live {
  runId: string;
  approvalId: string;
  threadId: string;
}

interface Hostile {
  name: string;
  method: "GET" | "POST";
  url: string | ((live: Live) => string);
  /** Sent as is (a raw string, so malformed JSON stays malformed). */
  body?: string;
  /** Content type of the body; `null` sends none. Default application/json when there is a body. */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** Whose key: default the requester for POST /v1/runs, the approver elsewhere. */
  as?: "requester" | "approver" | "none" | "forged";
}

const UUID_UNKNOWN = "7d444840-9dc0-4c2b-9a6b-3f1b8f9a0b11";
const APR_UNKNOWN = `apr_${"ab".repeat(12)}`;
const json = (value: unknown) => JSON.stringify(value);
const nested = (depth: number, open: string, close: string, inner = "1") => open.repeat(depth) + inner + close.repeat(depth);
const contextOf = (depth: number) => nested(depth - 1, '{"a":', "}", "{}");

/** Bodies POST /v1/runs must refuse (raw JSON text unless noted). */
const RUN_BODIES: Array<[string, string]> = [
  // malformed JSON
  ["unterminated object", "{"],
  ["lone brace", "}"],
  ["unterminated string", '{"goal":"refund'],
  ["single quotes", "{'goal':'refund'}"],
  ["trailing comma", '{"goal":"refund",}'],
  ["bare word", "refund please"],
  ["undefined literal", "undefined"],
  ["NaN literal", '{"goal":NaN}'],
  ["trailing garbage", '{"goal":"refund"} garbage'],
  ["two objects", '{"goal":"a"}{"goal":"b"}'],
  ["bad escape", '{"goal":"\\u00zz"}'],
  ["raw control character in a string", '{"goal":"a\u0001b"}'],
  ["comment", '{"goal":"refund" /* hi */}'],
  // wrong top-level types
  ...(["null", "true", "42", '"refund"', "[]", '[{"goal":"refund"}]', "1e999"].map((body) => [`top level ${body}`, body]) as Array<[string, string]>),
  // missing fields
  ["empty object", "{}"],
  ["only release", json({ release: "support@1" })],
  ["only context", json({ context: { order_id: "A-1001" } })],
  ["only thread", json({ thread_id: "t-1" })],
  // wrong types
  ...([1, true, null, [], {}, ["refund"], { $gt: "" }, 1.5].map((goal) => [`goal ${json(goal)}`, json({ goal })]) as Array<[string, string]>),
  ...([1, "", "bad release", "x".repeat(129), "a/b", null].map((release) => [`release ${json(release).slice(0, 20)}`, json({ goal: "refund", release })]) as Array<[string, string]>),
  ...([1, "", "a/b", "../../etc", "x".repeat(129), "id with space", "t\u0000", "тред"].map((threadId) => [`thread_id ${json(threadId).slice(0, 20)}`, json({ goal: "refund", thread_id: threadId })]) as Array<[string, string]>),
  ...(["a string", [], 1, null, true, [{ a: 1 }]].map((context) => [`context ${json(context)}`, json({ goal: "refund", context })]) as Array<[string, string]>),
  // blank, huge and unstorable text
  ...(["", " ", "\n\t ", "\u00a0\u2003"].map((goal) => [`blank goal ${json(goal)}`, json({ goal })]) as Array<[string, string]>),
  ["goal of 4001 characters", json({ goal: "x".repeat(4001) })],
  ["goal of 100,000 characters", json({ goal: "y".repeat(100_000) })],
  ["context over 16 KB", json({ goal: "refund", context: { blob: "z".repeat(16 * 1024) } })],
  ["context with 5,000 keys", json({ goal: "refund", context: Object.fromEntries(Array.from({ length: 5000 }, (_, index) => [`k${index}`, index])) })],
  ...(["\u0000", "abc\u0000def", "bell\u0007", "\u001b[31mred\u001b[0m", "del\u007f", "vt\u000b", "\ud800", "x\udfffy", "\udc00\ud800"].map((goal) => [`goal with ${json(goal)}`, json({ goal })]) as Array<[string, string]>),
  ["context string with NUL", json({ goal: "refund", context: { note: "a\u0000b" } })],
  ["context key with NUL", json({ goal: "refund", context: { "a\u0000": 1 } })],
  ["context with lone surrogate", json({ goal: "refund", context: { note: "\ud83d" } })],
  // invisible and bidirectional control characters: what an approver reads must be what runs
  ...(["where is \u202eA-1001\u202c?", "where is A-1001\u200b?", "\u2066A-1001\u2069", "A-1001\ufeff", "A-1001\u{e0041}\u{e007f}"].map((goal) => [`goal with ${json(goal)}`, json({ goal })]) as Array<[string, string]>),
  ["context string with U+202E", json({ goal: "refund", context: { note: "a\u202eb" } })],
  // deep nesting
  ["context nested 10,000 levels", `{"goal":"refund","context":${contextOf(10_000)}}`],
  ["context nested 65 levels", `{"goal":"refund","context":${contextOf(65)}}`],
  ["context nested 20 levels", `{"goal":"refund","context":${contextOf(20)}}`],
  ["arrays nested 10,000 levels", `{"goal":"refund","context":{"a":${nested(10_000, "[", "]")}}}`],
  ["goal nested 1,000 levels", `{"goal":${nested(1000, "[", "]", '"x"')}}`],
  ["body nested 100,000 levels", nested(100_000, "[", "]")],
  // prototype keys and fields the key decides
  ["__proto__ at top level", '{"goal":"refund","__proto__":{"isAdmin":true}}'],
  ["__proto__ in context", '{"goal":"refund","context":{"__proto__":{"isAdmin":true}}}'],
  ["constructor.prototype", '{"goal":"refund","constructor":{"prototype":{"isAdmin":true}}}'],
  ["constructor.prototype in context", '{"goal":"refund","context":{"constructor":{"prototype":{"x":1}}}}'],
  ["constructor key in context", json({ goal: "refund", context: { constructor: "x" } })],
  ["prototype key deep in context", json({ goal: "refund", context: { a: { b: { prototype: 1 } } } })],
  ["__proto__ as a JSON-escaped key", '{"goal":"refund","\\u005f_proto__":{"x":1}}'],
  ...(["tenant", "actor", "roles", "run_id", "status", "idempotency_key", "threadId"].map((field) => [`body sets ${field}`, json({ goal: "refund", [field]: field === "roles" ? ["admin"] : "globex" })]) as Array<[string, string]>),
];

/** Bodies POST /v1/approvals/:id must refuse (sent to a live pending approval). */
const DECISION_BODIES: Array<[string, string]> = [
  ["empty object", "{}"],
  ["malformed", '{"decision":'],
  ["array", '["approve"]'],
  ["string", '"approve"'],
  ...(["APPROVE", "yes", "approved", "", " approve", "reject;DROP TABLE approvals"].map((decision) => [`decision ${json(decision)}`, json({ decision })]) as Array<[string, string]>),
  ...([1, true, null, ["approve"], { approve: true }].map((decision) => [`decision ${json(decision)}`, json({ decision })]) as Array<[string, string]>),
  ["comment of 2001 characters", json({ decision: "approve", comment: "c".repeat(2001) })],
  ["comment not a string", json({ decision: "approve", comment: 5 })],
  ["comment with NUL", json({ decision: "approve", comment: "ok\u0000" })],
  ["comment with escape sequence", json({ decision: "approve", comment: "\u001b]0;pwned\u0007" })],
  ["comment blank", json({ decision: "approve", comment: "   " })],
  ["comment with right-to-left override", json({ decision: "approve", comment: "ok \u202edevorppa\u202c" })],
  ["args_hash md5", json({ decision: "approve", args_hash: "md5:d41d8cd98f00b204e9800998ecf8427e" })],
  ["args_hash short", json({ decision: "approve", args_hash: `sha256:${"a".repeat(63)}` })],
  ["args_hash upper case", json({ decision: "approve", args_hash: `sha256:${"A".repeat(64)}` })],
  ["args_hash number", json({ decision: "approve", args_hash: 1 })],
  ["approver in body", json({ decision: "approve", approver: "bob" })],
  ["tenant in body", json({ decision: "approve", tenant: "globex" })],
  ["roles in body", json({ decision: "approve", roles: ["approver"] })],
  ["__proto__", '{"decision":"approve","__proto__":{"roles":["admin"]}}'],
  ["nested 10,000 levels", `{"decision":"approve","comment":${nested(10_000, "[", "]")}}`],
];

const BAD_RUN_IDS = ["not-a-uuid", "123", `${UUID_UNKNOWN}0`, UUID_UNKNOWN.slice(1), "' OR '1'='1", "1%20OR%201%3D1", "..%2F..%2Fetc%2Fpasswd", "%00", "%F0%9F%92%A9", "x".repeat(5000), "%3Cscript%3E", "null"];
const BAD_APPROVAL_IDS = ["apr_xyz", `APR_${"a".repeat(24)}`, `apr_${"a".repeat(23)}`, `apr_${"a".repeat(25)}`, `apr_${"A".repeat(24)}`, "apr_%00", "'%20OR%20''='", `apr_${"a".repeat(5000)}`];
const BAD_THREAD_IDS = ["a%20b", "x".repeat(129), "%00", "%3Cscript%3E", "%E2%80%AE", "a%2Fb", "%27%3B--"];

/** The whole corpus, generated from the tables above. */
const CORPUS: Hostile[] = [
  ...RUN_BODIES.map(([name, body]): Hostile => ({ name: `POST /v1/runs: ${name}`, method: "POST", url: "/v1/runs", body })),
  ...["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "text/html", "application/octet-stream", null].map(
    (contentType): Hostile => ({ name: `POST /v1/runs as ${contentType ?? "no content type"}`, method: "POST", url: "/v1/runs", body: json({ goal: "refund" }), contentType }),
  ),
  { name: "POST /v1/runs: body over 1 MB", method: "POST", url: "/v1/runs", body: json({ goal: "refund", context: { blob: "b".repeat(1_100_000) } }) },
  { name: "POST /v1/runs: 5 MB of garbage", method: "POST", url: "/v1/runs", body: "{".repeat(5_000_000) },
  { name: "POST /v1/runs as SSE with a bad body", method: "POST", url: "/v1/runs", body: "{}", headers: { accept: "text/event-stream" } },
  ...["k".repeat(256), "k".repeat(5000), "ключ", "tab\tinside"].map(
    (key): Hostile => ({ name: `POST /v1/runs with Idempotency-Key ${json(key).slice(0, 16)}`, method: "POST", url: "/v1/runs", body: json({ goal: "Where is A-1001?" }), headers: { "idempotency-key": key } }),
  ),
  { name: "POST /v1/runs without a key", method: "POST", url: "/v1/runs", body: json({ goal: "Where is A-1001?" }), as: "none" },
  { name: "POST /v1/runs with a forged key", method: "POST", url: "/v1/runs", body: json({ goal: "Where is A-1001?" }), as: "forged" },
  { name: "POST /v1/runs as an approver", method: "POST", url: "/v1/runs", body: json({ goal: "Where is A-1001?" }), as: "approver" },
  ...["Basic YWxhZGRpbjpvcGVu", "Bearer", "Bearer wdn_0000000000000000_" + "A".repeat(43), "Bearer ' OR 1=1 --", `Bearer ${"x".repeat(10_000)}`].map(
    (authorization): Hostile => ({ name: `POST /v1/runs with Authorization ${authorization.slice(0, 18)}`, method: "POST", url: "/v1/runs", body: json({ goal: "Where is A-1001?" }), headers: { authorization }, as: "none" }),
  ),
  ...DECISION_BODIES.map(([name, body]): Hostile => ({ name: `POST /v1/approvals/:id: ${name}`, method: "POST", url: (live) => `/v1/approvals/${live.approvalId}`, body })),
  ...["text/plain", "application/x-www-form-urlencoded", null].map(
    (contentType): Hostile => ({ name: `POST /v1/approvals/:id as ${contentType ?? "no content type"}`, method: "POST", url: (live) => `/v1/approvals/${live.approvalId}`, body: json({ decision: "approve" }), contentType }),
  ),
  { name: "POST /v1/approvals/:id: body over 1 MB", method: "POST", url: (live) => `/v1/approvals/${live.approvalId}`, body: json({ decision: "approve", comment: "c".repeat(1_100_000) }) },
  { name: "POST /v1/approvals/:id by the requester", method: "POST", url: (live) => `/v1/approvals/${live.approvalId}`, body: json({ decision: "approve" }), as: "requester" },
  { name: "POST /v1/approvals/:id with Idempotency-Key too long", method: "POST", url: (live) => `/v1/approvals/${live.approvalId}`, body: json({ decision: "approve" }), headers: { "idempotency-key": "i".repeat(300) } },
  { name: "POST /v1/approvals/:id unknown id", method: "POST", url: `/v1/approvals/${APR_UNKNOWN}`, body: json({ decision: "approve" }) },
  ...BAD_APPROVAL_IDS.map((id): Hostile => ({ name: `POST /v1/approvals/${id.slice(0, 24)}`, method: "POST", url: `/v1/approvals/${id}`, body: json({ decision: "approve" }) })),
  ...BAD_RUN_IDS.flatMap((id): Hostile[] => [
    { name: `GET /v1/runs/${id.slice(0, 24)}`, method: "GET", url: `/v1/runs/${id}` },
    { name: `GET /v1/runs/${id.slice(0, 24)}/trace`, method: "GET", url: `/v1/runs/${id}/trace` },
    { name: `GET /v1/runs/${id.slice(0, 24)}/events`, method: "GET", url: `/v1/runs/${id}/events` },
    { name: `POST /v1/runs/${id.slice(0, 24)}/cancel`, method: "POST", url: `/v1/runs/${id}/cancel` },
  ]),
  ...["-1", "abc", "1.5", "99999999999", "9999999999", "2147483648", "1&after=2", "1e3", "", "0x10"].map((after): Hostile => ({ name: `GET trace?after=${after}`, method: "GET", url: (live) => `/v1/runs/${live.runId}/trace?after=${after}` })),
  { name: "GET trace with an unknown query parameter", method: "GET", url: (live) => `/v1/runs/${live.runId}/trace?foo=bar` },
  ...["abc", "-1", "1e3", "1.0", " 1", "9999999999", "2147483648"].map((id): Hostile => ({ name: `GET events with Last-Event-ID ${json(id)}`, method: "GET", url: (live) => `/v1/runs/${live.runId}/events`, headers: { "last-event-id": id } })),
  ...["all", "PENDING", "", "pending&status=approved", "%00", "pending'--", "approved%20OR%201=1"].map((status): Hostile => ({ name: `GET /v1/approvals?status=${status}`, method: "GET", url: `/v1/approvals?status=${status}` })),
  ...["nope", "1", `${UUID_UNKNOWN}x`].map((runId): Hostile => ({ name: `GET /v1/approvals?run_id=${runId}`, method: "GET", url: `/v1/approvals?run_id=${runId}` })),
  { name: "GET /v1/approvals with an unknown query parameter", method: "GET", url: "/v1/approvals?tenant=globex" },
  { name: "GET a run with an unknown query parameter", method: "GET", url: (live) => `/v1/runs/${live.runId}?tenant=globex` },
  { name: "POST /v1/approvals/:id with an unknown query parameter", method: "POST", url: (live) => `/v1/approvals/${live.approvalId}?tenant=globex`, body: json({ decision: "approve" }) },
  { name: "GET /v1/approvals as a requester", method: "GET", url: "/v1/approvals", as: "requester" },
  { name: "GET /v1/approvals without a key", method: "GET", url: "/v1/approvals", as: "none" },
  ...BAD_THREAD_IDS.flatMap((id): Hostile[] => [
    { name: `GET /v1/threads/${id.slice(0, 24)}/state`, method: "GET", url: `/v1/threads/${id}/state` },
    { name: `GET /v1/threads/${id.slice(0, 24)}/history`, method: "GET", url: `/v1/threads/${id}/history` },
  ]),
  ...["0", "101", "-5", "abc", "1e3", "", "1&limit=2"].map((limit): Hostile => ({ name: `GET history?limit=${limit}`, method: "GET", url: (live) => `/v1/threads/${live.threadId}/history?limit=${limit}` })),
  { name: "GET an unknown /v1 route", method: "GET", url: "/v1/../../etc/passwd" },
  { name: "DELETE-like method on a run", method: "POST", url: (live) => `/v1/runs/${live.runId}` },
];

const TABLES = ["runs", "approvals", "refunds", "tool_effects", "run_events", "idempotency_keys"] as const;

function countsIn(store: Store) {
  return async (): Promise<Record<string, number>> => {
    const result: Record<string, number> = {};
    for (const table of TABLES) result[table] = (await store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
    return result;
  };
}

function sendTo(server: TestServer, app: FastifyInstance, live: Live) {
  return (request: Hostile) => {
    const key = request.as ?? (request.method === "POST" && request.url === "/v1/runs" ? "requester" : "approver");
    const headers: Record<string, string> = {};
    if (key === "requester" || key === "approver") headers.authorization = server.keys[key].headers.authorization;
    if (key === "forged") headers.authorization = `Bearer wdn_${"0".repeat(16)}_${"B".repeat(43)}`;
    if (request.body !== undefined && request.contentType !== null) headers["content-type"] = request.contentType ?? "application/json";
    const options: InjectOptions = { method: request.method, url: typeof request.url === "string" ? request.url : request.url(live), headers: { ...headers, ...request.headers } };
    if (request.body !== undefined) options.payload = request.body;
    return app.inject(options);
  };
}

/** A waiting refund run of acme for hostile bodies to hit. */
async function liveRun(server: TestServer, store: Store): Promise<Live> {
  const record = (
    await server.app.inject({ method: "POST", url: "/v1/runs", headers: server.keys.requester.headers, payload: { goal: refundGoal(await addOrder(store.db)) } })
  ).json();
  expect(record.status).toBe("waiting_approval");
  return { runId: record.run_id, approvalId: record.pending_approvals[0].approval_id, threadId: record.thread_id };
}

const suites = onBackends().map((suite) => ({
  ...suite,
  it: suite.it
    .extend("counts", { scope: "file" }, async ({ store }) => countsIn(store))
    .extend("live", { scope: "file" }, async ({ server, store }) => liveRun(server, store))
    // Every table's row count once the live run waits, before any hostile request.
    .extend("before", { scope: "file" }, async ({ counts, live: _waiting }) => counts())
    .extend("send", { scope: "file" }, async ({ server, app, live, before: _counted }) => sendTo(server, app, live)),
}));

describe.each(suites)("hostile input on $name", ({ it }) => {
  it("has a corpus of at least 150 hostile requests", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(150);
  });

  it.for(CORPUS.map((request, index) => ({ ...request, label: `${String(index + 1).padStart(3, "0")} ${request.name}` })))(
    "$label → 4xx with the error shape",
    async (request, { send }) => {
      const response = await send(request);
      expect(response.statusCode, response.body.slice(0, 300)).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, response.body.slice(0, 300)).toBeLessThan(500);
      expect(response.headers["content-type"]).toMatch(/^application\/json/);
      const body = response.json();
      expect(body).toEqual({ error: expect.objectContaining({ code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) }) });
      expect(Object.keys(body.error).every((field) => ["code", "message", "details"].includes(field))).toBe(true);
    },
  );

  it("changed no row, and the server still answers: /healthz, the waiting run, a valid request", async ({ server, app, live, before, counts }) => {
    expect(await counts()).toEqual(before);
    expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    const run = await app.inject({ method: "GET", url: `/v1/runs/${live.runId}`, headers: server.keys.requester.headers });
    expect(run.json()).toMatchObject({ status: "waiting_approval", pending_approvals: [expect.objectContaining({ approval_id: live.approvalId })] });
    const ok = await app.inject({ method: "POST", url: `/v1/approvals/${live.approvalId}`, headers: server.keys.approver.headers, payload: { decision: "approve" } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().status).toBe("completed");
  });

  // Hostile-looking but valid: these run, and their text is stored exactly as sent (parameters, not SQL).
  it.for([
    ["SQL", "Robert'); DROP TABLE runs; -- where is order A-1001?"],
    ["SQL comment and quotes", "A-1001' OR '1'='1' /* status? */"],
    ["unicode", "Wo ist meine Bestellung A-1001? 注文はどこ 🙂 ¿dónde?"],
    ["emoji with zero-width joiners", "where is A-1001? 👩‍💻 👨‍👩‍👧"],
    ["markup", "<script>alert(1)</script> where is A-1001?"],
  ])("a %s goal is a valid run: 200, stored verbatim, tables intact", async ([, goal], { server, app, counts }) => {
    const runsBefore = (await counts()).runs!;
    const response = await app.inject({ method: "POST", url: "/v1/runs", headers: server.keys.requester.headers, payload: { goal } });
    expect(response.statusCode).toBe(200);
    const record = response.json();
    const trace = (await app.inject({ method: "GET", url: `/v1/runs/${record.run_id}/trace`, headers: server.keys.requester.headers })).json();
    expect(trace.events[0]).toMatchObject({ kind: "run.started", attributes: { goal } });
    expect((await counts()).runs).toBe(runsBefore + 1);
  });
});
