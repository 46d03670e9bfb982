import type { FastifyInstance, InjectOptions } from "fastify";
import { describe, expect } from "vitest";
import { createApiKey } from "../../src/server/api-keys.js";
import type { Store } from "../../src/store/open-store.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, refundGoal } from "../helpers/runtime.js";
import type { TestServer } from "../helpers/server.js";

/** Acme's ids the other tenant probes. */
interface AcmeIds {
  runId: string;
  approvalId: string;
  threadId: string;
  memorySubject: string;
  memoryId: string;
}

interface IdRoute {
  route: string;
  method: Method;
  url(ids: AcmeIds): string;
  payload?: unknown;
  /** The code the runtime answers for an id it does not find in the caller's tenant. */
  code: "RUN_NOT_FOUND" | "APPROVAL_NOT_FOUND" | "THREAD_NOT_FOUND" | "MEMORY_NOT_FOUND";
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** Every /v1 route that takes an id. A new route is one row here. */
const ID_ROUTES: IdRoute[] = [
  { route: "GET /v1/runs/:run_id", method: "GET", url: (ids) => `/v1/runs/${ids.runId}`, code: "RUN_NOT_FOUND" },
  { route: "GET /v1/runs/:run_id/trace", method: "GET", url: (ids) => `/v1/runs/${ids.runId}/trace`, code: "RUN_NOT_FOUND" },
  { route: "GET /v1/runs/:run_id/trace?after=", method: "GET", url: (ids) => `/v1/runs/${ids.runId}/trace?after=1`, code: "RUN_NOT_FOUND" },
  { route: "GET /v1/runs/:run_id/events", method: "GET", url: (ids) => `/v1/runs/${ids.runId}/events`, code: "RUN_NOT_FOUND" },
  { route: "POST /v1/runs/:run_id/cancel", method: "POST", url: (ids) => `/v1/runs/${ids.runId}/cancel`, code: "RUN_NOT_FOUND" },
  { route: "POST /v1/approvals/:approval_id (approve)", method: "POST", url: (ids) => `/v1/approvals/${ids.approvalId}`, payload: { decision: "approve" }, code: "APPROVAL_NOT_FOUND" },
  { route: "POST /v1/approvals/:approval_id (reject)", method: "POST", url: (ids) => `/v1/approvals/${ids.approvalId}`, payload: { decision: "reject", comment: "no" }, code: "APPROVAL_NOT_FOUND" },
  { route: "GET /v1/threads/:thread_id/state", method: "GET", url: (ids) => `/v1/threads/${ids.threadId}/state`, code: "THREAD_NOT_FOUND" },
  { route: "GET /v1/threads/:thread_id/history", method: "GET", url: (ids) => `/v1/threads/${ids.threadId}/history?limit=5`, code: "THREAD_NOT_FOUND" },
  { route: "PATCH /v1/memory/:subject/:memory_id", method: "PATCH", url: (ids) => `/v1/memory/${ids.memorySubject}/${ids.memoryId}`, payload: { content: "Overwritten by globex" }, code: "MEMORY_NOT_FOUND" },
  { route: "DELETE /v1/memory/:subject/:memory_id", method: "DELETE", url: (ids) => `/v1/memory/${ids.memorySubject}/${ids.memoryId}`, code: "MEMORY_NOT_FOUND" },
];

/** List routes: globex's answer must never hold acme's items. */
const LIST_ROUTES = ["/v1/approvals", "/v1/approvals?status=pending", "/v1/approvals?status=approved", "/v1/approvals?status=rejected", "/v1/approvals?status=cancelled"];

function callOn(app: FastifyInstance) {
  return (key: string, method: Method, url: string, payload?: unknown) => {
    const options: InjectOptions = { method, url, headers: { authorization: `Bearer ${key}` } };
    if (payload !== undefined) options.payload = payload as InjectOptions["payload"];
    return app.inject(options);
  };
}

type Call = ReturnType<typeof callOn>;

/** Both tenants' keys, and what acme holds for globex to probe: runs, approvals, a thread and a memory. */
async function seedTenants(store: Store, server: TestServer, call: Call) {
  const keys = { acme: "", acmeApprover: "", globex: "", globexApprover: "" };
  // Globex's keys hold every role, so a 404 can only come from the tenant boundary, never from a role check.
  keys.acme = (await createApiKey(store.db, { tenant: "acme", actor: "alice", roles: ["requester"] })).key;
  keys.acmeApprover = (await createApiKey(store.db, { tenant: "acme", actor: "bob", roles: ["approver"] })).key;
  keys.globex = (await createApiKey(store.db, { tenant: "globex", actor: "gina", roles: ["requester", "approver", "admin"] })).key;
  keys.globexApprover = (await createApiKey(store.db, { tenant: "globex", actor: "gus", roles: ["approver"] })).key;

  // Acme: one waiting run (run, pending approval, thread) and one approved, so every list status has an item.
  const orderId = await addOrder(store.db, { email: "acme.secret@example.com" });
  const waiting = (await call(keys.acme, "POST", "/v1/runs", { goal: refundGoal(orderId, "acme-only detail") })).json();
  expect(waiting.status).toBe("waiting_approval");
  // Acme's long-term memory about a customer: consent recorded, one entry written the way a run writes it.
  const memorySubject = "customer-7";
  const memory = server.runtime.deps.memory((await server.runtime.deps.release("support@1")).policy);
  await memory.grantConsent("acme", memorySubject, "alice");
  const remembered = await memory.write("acme", memorySubject, { kind: "preference", content: "acme-only memory: prefers email" }, { actor: "alice", roles: ["requester"] });
  expect(remembered.memory).not.toBeNull();
  const acme: AcmeIds = { runId: waiting.run_id, approvalId: waiting.pending_approvals[0].approval_id, threadId: waiting.thread_id, memorySubject, memoryId: remembered.memory!.memoryId };
  const approved = (await call(keys.acme, "POST", "/v1/runs", { goal: refundGoal(await addOrder(store.db)) })).json();
  expect((await call(keys.acmeApprover, "POST", `/v1/approvals/${approved.pending_approvals[0].approval_id}`, { decision: "approve" })).statusCode).toBe(200);
  const acmeSecrets = [acme.approvalId, acme.runId, acme.threadId, approved.run_id, approved.pending_approvals[0].approval_id, orderId, "acme-only detail", acme.memoryId, "acme-only memory", "acme"];

  // Globex has its own waiting approval, so its list is not trivially empty.
  const globexRun = (await call(keys.globex, "POST", "/v1/runs", { goal: "Refund order G-2001, it arrived broken." })).json();
  expect(globexRun.status).toBe("waiting_approval");
  const globexApprovalId: string = globexRun.pending_approvals[0].approval_id;
  return { keys, acme, acmeSecrets, globexApprovalId };
}

const suites = onBackends().map((suite) => ({
  ...suite,
  it: suite.it
    .extend("call", { scope: "file" }, async ({ app }) => callOn(app))
    .extend("tenants", { scope: "file" }, async ({ store, server, call }) => seedTenants(store, server, call)),
}));

describe.each(suites)("tenant isolation over HTTP on $name", ({ it }) => {
  it.for(ID_ROUTES)("$route with another tenant's id is 404 $code, never 403, never the data", async (row, { call, tenants: { keys, acme, acmeSecrets } }) => {
    const response = await call(keys.globex, row.method, row.url(acme), row.payload);
    expect(response.statusCode).toBe(404);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    const body = response.json();
    expect(body).toEqual({ error: { code: row.code, message: expect.any(String) } });
    // The message may echo the id the caller sent, nothing else of acme's.
    const echoed = row.url(acme);
    for (const secret of acmeSecrets.filter((secret) => !echoed.includes(secret))) expect(response.body).not.toContain(secret);
  });

  // Decisions and cancels would change acme's run; their owner's side is covered in server-runs.test.ts.
  it.for(ID_ROUTES.filter((row) => row.method === "GET"))("$route with the owner's key answers (the 404 above is the tenant boundary)", async (row, { call, tenants: { keys, acme } }) => {
    const response = await call(keys.acme, row.method, row.url(acme), row.payload);
    expect(response.statusCode).toBe(200);
  });

  it.for(LIST_ROUTES)("GET %s with globex's key lists none of acme's approvals", async (url, { call, tenants: { keys, acme, acmeSecrets } }) => {
    for (const key of [keys.globex, keys.globexApprover]) {
      const response = await call(key, "GET", url);
      expect(response.statusCode).toBe(200);
      for (const secret of acmeSecrets) expect(response.body).not.toContain(secret);
      for (const approval of response.json().approvals) expect(approval.run_id).not.toBe(acme.runId);
    }
  });

  it("globex's pending list holds its own approval, acme's holds acme's and not globex's", async ({ call, tenants: { keys, acme, globexApprovalId } }) => {
    const globexList = (await call(keys.globexApprover, "GET", "/v1/approvals")).json().approvals.map((item: { approval_id: string }) => item.approval_id);
    expect(globexList).toEqual([globexApprovalId]);
    const acmeList = (await call(keys.acmeApprover, "GET", "/v1/approvals")).json().approvals.map((item: { approval_id: string }) => item.approval_id);
    expect(acmeList).toContain(acme.approvalId);
    expect(acmeList).not.toContain(globexApprovalId);
  });

  it("leaves acme's run waiting and its approval pending after every probe", async ({ store, call, tenants: { keys, acme } }) => {
    for (const row of ID_ROUTES) await call(keys.globex, row.method, row.url(acme), row.payload);
    const run = (await call(keys.acme, "GET", `/v1/runs/${acme.runId}`)).json();
    expect(run).toMatchObject({ status: "waiting_approval", pending_approvals: [expect.objectContaining({ approval_id: acme.approvalId })] });
    const { rows } = await store.db.query<{ status: string }>("SELECT status FROM approvals WHERE tenant_id = 'acme' AND approval_id = $1", [acme.approvalId]);
    expect(rows).toEqual([{ status: "pending" }]);
  });

  it("globex sees no memory of acme's subject and its erasure of that subject deletes none of acme's entries", async ({ call, tenants: { keys, acme } }) => {
    const url = `/v1/memory/${acme.memorySubject}`;
    const listed = await call(keys.globex, "GET", url);
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual({ subject: acme.memorySubject, consent: false, memories: [] });
    const erased = await call(keys.globex, "DELETE", url);
    expect(erased.statusCode).toBe(200);
    expect(erased.json()).toEqual({ subject: acme.memorySubject, deleted: 0 });
    for (const response of [listed, erased]) for (const secret of [acme.memoryId, "acme-only memory"]) expect(response.body).not.toContain(secret);
    const acmeList = (await call(keys.acme, "GET", url)).json();
    expect(acmeList).toEqual({
      subject: acme.memorySubject,
      consent: true,
      memories: [expect.objectContaining({ memory_id: acme.memoryId, content: "acme-only memory: prefers email" })],
    });
  });

  it("a thread id both tenants chose names two separate threads: globex never continues acme's conversation", async ({ call, tenants: { keys } }) => {
    const acmeRun = (await call(keys.acme, "POST", "/v1/runs", { goal: "Where is my order A-1002?", thread_id: "case-1" })).json();
    expect(acmeRun.status).toBe("completed");
    const globexRun = await call(keys.globex, "POST", "/v1/runs", { goal: "What did we talk about before?", thread_id: "case-1" });
    expect(globexRun.statusCode).toBe(200);
    const globexState = await call(keys.globex, "GET", "/v1/threads/case-1/state");
    expect(globexState.statusCode).toBe(200);
    expect(globexState.body).not.toContain("A-1002");
    expect(globexState.body).not.toContain(acmeRun.run_id);
    const globexHistory = await call(keys.globex, "GET", "/v1/threads/case-1/history?limit=100");
    expect(globexHistory.body).not.toContain(acmeRun.run_id);
    const acmeState = (await call(keys.acme, "GET", "/v1/threads/case-1/state")).json();
    expect(acmeState.values).toMatchObject({ run_id: acmeRun.run_id, tenant: "acme" });
  });
});
