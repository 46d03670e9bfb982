import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect } from "vitest";
import { aiToolCall, aiText, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import { verifyWebhookSignature } from "../../src/runs/webhooks/signature.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, refundGoal, refundsFor } from "../helpers/runtime.js";
import { expectErrorShape, startTestServer, type TestKey, type TestServer } from "../helpers/server.js";

interface Delivery {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A webhook receiver on loopback that answers each delivery with the next status in `statuses` (then 200). */
async function receiver(statuses: number[] = []): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      deliveries.push({ headers: request.headers, body });
      response.statusCode = statuses.shift() ?? 200;
      response.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, deliveries, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A key's request to the server's app. */
const callOn = (server: TestServer) => (key: TestKey, method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  server.app.inject({ method, url, headers: { ...key.headers, ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });

const suites = onBackends({
  server: { runtime: { env: { WARDEN_WEBHOOK_ALLOW_PRIVATE: "true" }, runs: { leaseMs: 2000, retryDelayMs: 10, pollMs: 100 } } },
}).map((suite) => ({ ...suite, it: suite.it.extend("call", { scope: "file" }, async ({ server }) => callOn(server)) }));

describe.each(suites)("durable runs over HTTP on $name", ({ it }) => {

  it("a background run answers 202 queued; /wait long-polls it to 200, and a short wait on a waiting run is 200 at once", async ({ keys, call }) => {
    const started = await call(keys.requester, "POST", "/v1/runs", { goal: "Where is my order A-1002?", mode: "background" });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ status: "queued", attempts: 0 });
    const waited = await call(keys.requester, "GET", `/v1/runs/${started.json().run_id}/wait?timeout_s=30`);
    expect(waited.statusCode).toBe(200);
    expect(waited.json().status).toBe("completed");
    expect((await call(keys.requester, "GET", `/v1/runs/${started.json().run_id}/wait?timeout_s=301`)).statusCode).toBe(400);
    expect((await call(keys.requester, "GET", `/v1/runs/${started.json().run_id}/wait?timeout_s=abc`)).statusCode).toBe(400);
  });

  it("pages GET /v1/runs with an opaque cursor and filters; a forged cursor or unknown status is 400", async ({ keys, call }) => {
    const thread = `list-${Date.now()}`;
    for (let index = 0; index < 3; index++) {
      const response = await call(keys.requester, "POST", "/v1/runs", { goal: "Where is my order A-1002?", thread_id: thread });
      expect(response.statusCode).toBe(200);
    }
    const first = await call(keys.approver, "GET", `/v1/runs?thread_id=${thread}&limit=2`);
    expect(first.statusCode).toBe(200);
    expect(first.json().runs).toHaveLength(2);
    const second = await call(keys.approver, "GET", `/v1/runs?thread_id=${thread}&limit=2&cursor=${first.json().next_cursor}`);
    expect(second.json().runs).toHaveLength(1);
    expect(second.json().next_cursor).toBeNull();
    const ids = [...first.json().runs, ...second.json().runs].map((run: { run_id: string }) => run.run_id);
    expect(new Set(ids).size).toBe(3);
    expect((await call(keys.requester, "GET", "/v1/runs?cursor=eyJhdCI6IngiLCJpZCI6InkifQ")).statusCode).toBe(400);
    expect((await call(keys.requester, "GET", "/v1/runs?status=lost")).statusCode).toBe(400);
    expect((await call(keys.requester, "GET", "/v1/runs?limit=0")).statusCode).toBe(400);
    // Another tenant's runs are never listed.
    expect((await call(keys.otherTenant, "GET", `/v1/runs?thread_id=${thread}`)).json().runs).toEqual([]);
  });

  it("pages GET /v1/approvals and says who decided", async ({ store, keys, call }) => {
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const response = await call(keys.requester, "POST", "/v1/runs", { goal: refundGoal(await addOrder(store.db)) });
      ids.push(response.json().pending_approvals[0].approval_id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const response = await call(keys.approver, "GET", `/v1/approvals?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(response.statusCode).toBe(200);
      seen.push(...response.json().approvals.map((approval: { approval_id: string }) => approval.approval_id));
      cursor = response.json().next_cursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length);
    const decided = await call(keys.approver, "POST", `/v1/approvals/${ids[0]}`, { decision: "reject" });
    expect(decided.statusCode).toBe(200);
    const rejected = await call(keys.approver, "GET", "/v1/approvals?status=rejected&limit=200");
    expect(rejected.json().approvals.find((approval: { approval_id: string }) => approval.approval_id === ids[0])).toMatchObject({ decided_by: "bob" });
  });

  it("an approval retried with its Idempotency-Key after its first request won answers the run, not 409", async ({ store, keys, call }) => {
    const orderId = await addOrder(store.db);
    const started = await call(keys.requester, "POST", "/v1/runs", { goal: refundGoal(orderId) });
    const approvalId = started.json().pending_approvals[0].approval_id;
    const key = { "idempotency-key": `approve-${orderId}` };
    const [a, b] = await Promise.all([
      call(keys.approver, "POST", `/v1/approvals/${approvalId}`, { decision: "approve" }, key),
      call(keys.approver, "POST", `/v1/approvals/${approvalId}`, { decision: "approve" }, key),
    ]);
    for (const response of [a, b]) {
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ run_id: started.json().run_id, status: "completed" });
    }
    const other = await call(keys.secondApprover, "POST", `/v1/approvals/${approvalId}`, { decision: "reject" });
    expect(other.statusCode).toBe(409);
    expect(other.json().error).toMatchObject({ code: "APPROVAL_CONFLICT", details: { decided_by: "bob" } });
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(1);
  });

  it("multitask_strategy over HTTP: enqueue waits behind the active run, an unknown strategy is 400", async ({ store, keys, call }) => {
    const orderId = await addOrder(store.db);
    const waiting = await call(keys.requester, "POST", "/v1/runs", { goal: refundGoal(orderId) });
    const thread = waiting.json().thread_id;
    const busy = await call(keys.requester, "POST", "/v1/runs", { goal: "Where is my order A-1002?", thread_id: thread });
    expect(busy.statusCode).toBe(409);
    expectErrorShape(busy.body, "THREAD_BUSY");
    expect((await call(keys.requester, "POST", "/v1/runs", { goal: "x", thread_id: thread, multitask_strategy: "shout" })).statusCode).toBe(400);
    const queued = await call(keys.requester, "POST", "/v1/runs", { goal: "Where is my order A-1002?", thread_id: thread, multitask_strategy: "enqueue", mode: "background" });
    expect(queued.statusCode).toBe(202);
    expect(queued.json().status).toBe("queued");
    await call(keys.approver, "POST", `/v1/approvals/${waiting.json().pending_approvals[0].approval_id}`, { decision: "approve" });
    const after = await call(keys.requester, "GET", `/v1/runs/${queued.json().run_id}/wait?timeout_s=30`);
    expect(after.json().status).toBe("completed");
  });

  it("POST /v1/runs/:id/recover is admin-only and 409 for a run that has not failed", async ({ keys, call }) => {
    const run = await call(keys.requester, "POST", "/v1/runs", { goal: "Where is my order A-1002?" });
    expect((await call(keys.requester, "POST", `/v1/runs/${run.json().run_id}/recover`)).statusCode).toBe(403);
    const notFailed = await call(keys.admin, "POST", `/v1/runs/${run.json().run_id}/recover`);
    expect(notFailed.statusCode).toBe(409);
    expectErrorShape(notFailed.body, "RUN_NOT_FAILED");
    expect((await call(keys.otherTenant, "POST", `/v1/runs/${run.json().run_id}/cancel`)).statusCode).toBe(404);
  });

  it("cancels a running run over HTTP: it stops at its next step boundary", async ({ store }) => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const model = new ScriptedChatModel([
      async () => {
        entered();
        await gate;
        return aiToolCall("lookup_order", { order_id: "A-1001" });
      },
      aiText("never reached"),
    ]);
    const held = await startTestServer(store, { model, runtime: { runs: { leaseMs: 2000, pollMs: 100 } } });
    try {
      const started = await held.app.inject({ method: "POST", url: "/v1/runs", headers: held.keys.requester.headers, payload: { goal: "Where is my order A-1001?", mode: "background" } });
      await inside;
      const cancelling = held.app.inject({ method: "POST", url: `/v1/runs/${started.json().run_id}/cancel`, headers: held.keys.requester.headers });
      setTimeout(open, 200);
      const cancelled = await cancelling;
      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.json().status).toBe("cancelled");
      expect(model.calls).toHaveLength(1);
    } finally {
      open();
      await held.close();
    }
  });

  it("schedules: an admin creates, lists and deletes them; a bad cron is 400; other roles get 403", async ({ keys, call }) => {
    const created = await call(keys.admin, "POST", "/v1/schedules", { cron: "0 9 * * 1-5", timezone: "Europe/Berlin", goal: "Where is my order A-1002?" });
    expect(created.statusCode).toBe(201);
    const id = created.json().schedule_id;
    expect(created.json()).toMatchObject({ cron: "0 9 * * 1-5", timezone: "Europe/Berlin", created_by: "admin" });
    expect((await call(keys.admin, "GET", "/v1/schedules")).json().schedules.map((schedule: { schedule_id: string }) => schedule.schedule_id)).toContain(id);
    expect((await call(keys.requester, "POST", "/v1/schedules", { cron: "* * * * *", goal: "x" })).statusCode).toBe(403);
    expect((await call(keys.admin, "POST", "/v1/schedules", { cron: "61 * * * *", goal: "x" })).statusCode).toBe(400);
    expect((await call(keys.admin, "POST", "/v1/schedules", { cron: "* * * * * *", goal: "x" })).statusCode).toBe(400);
    expect((await call(keys.admin, "POST", "/v1/schedules", { cron: "* * * * *", goal: "x", timezone: "Mars/Olympus" })).statusCode).toBe(400);
    expect((await call(keys.otherTenant, "GET", "/v1/schedules")).statusCode).toBe(403);
    expect((await call(keys.admin, "DELETE", `/v1/schedules/${id}`)).statusCode).toBe(200);
    expect((await call(keys.admin, "DELETE", `/v1/schedules/${id}`)).statusCode).toBe(404);
  });

  it("webhooks: waiting_approval and completed are delivered signed, with stable event ids, retried after a 500", async ({ store, keys, call }) => {
    const hooks = await receiver([500]);
    try {
      const settings = await call(keys.admin, "GET", "/v1/admin/webhooks");
      expect(settings.statusCode).toBe(200);
      const orderId = await addOrder(store.db);
      const started = await call(keys.requester, "POST", "/v1/runs", { goal: refundGoal(orderId), webhook: hooks.url });
      expect(started.json().status).toBe("waiting_approval");
      await call(keys.approver, "POST", `/v1/approvals/${started.json().pending_approvals[0].approval_id}`, { decision: "approve" });
      const secret = (await call(keys.admin, "GET", "/v1/admin/webhooks")).json().secret as string;
      expect(secret).toMatch(/^whsec_/);
      // The first delivery got a 500 and is retried (pg-boss backoff): three deliveries, two events.
      await expect.poll(() => hooks.deliveries.length, { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(3);
      const events = hooks.deliveries.map((delivery) => ({ id: delivery.headers["warden-event-id"], type: delivery.headers["warden-event"], body: JSON.parse(delivery.body) }));
      for (const delivery of hooks.deliveries) {
        expect(verifyWebhookSignature({ secret, header: String(delivery.headers["warden-signature"]), body: delivery.body })).toBe(true);
        expect(verifyWebhookSignature({ secret: "whsec_other", header: String(delivery.headers["warden-signature"]), body: delivery.body })).toBe(false);
      }
      const byType = new Map<string, Set<string>>();
      for (const event of events) byType.set(String(event.type), (byType.get(String(event.type)) ?? new Set()).add(String(event.id)));
      expect([...byType.keys()].sort()).toEqual(["run.completed", "run.waiting_approval"]);
      for (const ids of byType.values()) expect(ids.size).toBe(1); // a retry carries the same event id
      const completed = events.find((event) => event.type === "run.completed")!;
      expect(completed.body).toMatchObject({ type: "run.completed", data: { run_id: started.json().run_id, status: "completed" } });
    } finally {
      await hooks.close();
    }
  });

  it("refuses webhook URLs that point inside the network unless allowed, before a run exists", async ({ store }) => {
    const strict = await startTestServer(store);
    try {
      for (const url of ["http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "https://user:pw@example.com/x"]) {
        const response = await strict.app.inject({ method: "POST", url: "/v1/runs", headers: strict.keys.requester.headers, payload: { goal: "Where is my order A-1002?", webhook: url } });
        expect(response.statusCode).toBe(400);
        expect(response.json().error.code).toMatch(/WEBHOOK_URL_REFUSED|VALIDATION_FAILED/);
      }
      const admin = await strict.app.inject({ method: "PUT", url: "/v1/admin/webhooks", headers: strict.keys.admin.headers, payload: { url: "http://10.0.0.1/hooks" } });
      expect(admin.statusCode).toBe(400);
    } finally {
      await strict.close();
    }
  });
});
