import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../src/runtime/create-runtime.js";
import type { Store } from "../../src/store/open-store.js";
import { backends } from "../helpers/backends.js";
import { onBackends } from "../helpers/fixtures.js";
import { recordPassingEval } from "../helpers/eval-gate.js";
import { addOrder, refundGoal, refundsFor } from "../helpers/runtime.js";
import { expectErrorShape, type TestKey, type TestServer } from "../helpers/server.js";

const callOn = (server: TestServer) => (key: TestKey, method: "GET" | "PUT" | "POST", url: string, payload?: unknown) =>
  server.app.inject({ method, url, headers: key.headers, ...(payload === undefined ? {} : { payload: payload as object }) });

const suites = onBackends().map((suite) => ({ ...suite, it: suite.it.extend("call", { scope: "file" }, async ({ server }) => callOn(server)) }));

describe.each(suites)("rollback over HTTP on $name", ({ it }) => {
  it.beforeAll(async ({ store, server: _opened }) => {
    // support@2 is a promotion: it passes the gate as after a successful `warden eval` (test/promotion.test.ts tests the gate).
    await recordPassingEval(store.db, "support@2");
  });

  const goal = "What is your refund policy for damaged items?";

  it("PUT /v1/admin/releases/active switches the release of the next POST /v1/runs, and back (admin only)", async ({ server, call }) => {
    const { keys } = server;
    expect((await call(keys.requester, "PUT", "/v1/admin/releases/active", { release: "support@2" })).statusCode).toBe(403);
    const activated = await call(keys.admin, "PUT", "/v1/admin/releases/active", { release: "support@2" });
    expect(activated.statusCode).toBe(200);
    expect(activated.json()).toMatchObject({ tenant: "acme", release_id: "support@2", source: "activated", activated_by: "admin" });
    expect((await call(keys.requester, "POST", "/v1/runs", { goal })).json().release).toBe("support@2");
    expect((await call(keys.otherTenant, "POST", "/v1/runs", { goal })).json().release).toBe("support@1");

    const unknown = await call(keys.admin, "PUT", "/v1/admin/releases/active", { release: "support@99" });
    expect(unknown.statusCode).toBe(400);
    expectErrorShape(unknown.body, "RELEASE_NOT_FOUND");

    expect((await call(keys.admin, "PUT", "/v1/admin/releases/active", { release: "support@1" })).statusCode).toBe(200);
    expect((await call(keys.requester, "POST", "/v1/runs", { goal })).json().release).toBe("support@1");
    const listed = (await call(keys.admin, "GET", "/v1/admin/releases")).json();
    expect(listed.active.release_id).toBe("support@1");
    expect(listed.history.map((row: { release_id: string }) => row.release_id).slice(0, 2)).toEqual(["support@1", "support@2"]);
  });

  it("a tenant's runtime switched off over PUT /v1/admin/flags answers 503 RUNTIME_DISABLED; other tenants run", async ({ server, call }) => {
    const { keys } = server;
    const set = await call(keys.admin, "PUT", "/v1/admin/flags", { kind: "runtime", reason: "bad deploy" });
    expect(set.statusCode).toBe(200);
    expect(set.json().flags).toEqual([expect.objectContaining({ tenant_id: "acme", kind: "runtime", reason: "bad deploy", set_by: "admin" })]);

    const refused = await call(keys.requester, "POST", "/v1/runs", { goal });
    expect(refused.statusCode).toBe(503);
    expectErrorShape(refused.body, "RUNTIME_DISABLED");
    expect(refused.json().error.message).toContain("bad deploy");
    expect((await call(keys.otherTenant, "POST", "/v1/runs", { goal })).statusCode).toBe(200);

    expect((await call(keys.admin, "PUT", "/v1/admin/flags", { kind: "runtime", disabled: false })).json().flags).toEqual([]);
    expect((await call(keys.requester, "POST", "/v1/runs", { goal })).statusCode).toBe(200);
  });

  it("PUT /v1/admin/flags switching issue_refund off stops an approved refund that was waiting", async ({ store, server, call }) => {
    const { keys } = server;
    const orderId = await addOrder(store.db, { total: 42 });
    const waiting = (await call(keys.requester, "POST", "/v1/runs", { goal: refundGoal(orderId) })).json();
    expect(waiting.status).toBe("waiting_approval");
    expect((await call(keys.admin, "PUT", "/v1/admin/flags", { kind: "tool", target: "issue_refund" })).statusCode).toBe(200);
    const approval = waiting.pending_approvals[0];
    const decided = await call(keys.approver, "POST", `/v1/approvals/${approval.approval_id}`, { decision: "approve", args_hash: approval.args_hash });
    expect(decided.statusCode).toBe(200);
    expect(decided.json().status).toBe("escalated");
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);
    await call(keys.admin, "PUT", "/v1/admin/flags", { kind: "tool", target: "issue_refund", disabled: false });
  });

  it("rejects malformed switches and hides nothing of another tenant's", async ({ server, call }) => {
    const { keys } = server;
    expect((await call(keys.admin, "PUT", "/v1/admin/flags", { kind: "tool" })).statusCode).toBe(400);
    expect((await call(keys.admin, "PUT", "/v1/admin/flags", { kind: "workflow", target: "refund_workflow@1", mode: "sideways" })).statusCode).toBe(400);
    expect((await call(keys.admin, "PUT", "/v1/admin/flags", { kind: "runtime", tenant: "globex" })).statusCode).toBe(400);
    expect((await call(keys.requester, "PUT", "/v1/admin/flags", { kind: "runtime" })).statusCode).toBe(403);
  });
});

describe.each(backends)("switches across processes on $name", (backend) => {
  let store: Store;
  let second: Store;
  let first: Runtime;
  let other: Runtime;

  beforeAll(async () => {
    store = await backend.open();
    // On Postgres a second pool on the same schema, as another server process would have; an in-memory PGlite
    // cannot be opened twice, so there the second runtime shares the store but has its own flag cache.
    second = backend.name === "postgres" ? await backend.reopen(store) : store;
    first = await createRuntime({ store, env: {} });
    other = await createRuntime({ store: second, env: {} });
  });
  afterAll(async () => {
    await first.close();
    await other.close();
    if (second !== store) await second.close();
    await store.close();
  });

  it("a switch set through one runtime acts in another within a second", async () => {
    expect((await other.flags.forTenant("acme")).find("runtime")).toBeUndefined(); // its cache is warm and empty
    await first.flags.set({ tenant: "acme", kind: "tool", target: "issue_refund", setBy: "ops" });
    const set = Date.now();
    while (!(await other.flags.forTenant("acme")).find("tool", "issue_refund")) {
      expect(Date.now() - set).toBeLessThan(1200);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const orderId = await addOrder(store.db, { total: 42 });
    const stopped = await other.start({ tenant: "acme", actor: "alice", roles: ["requester"], goal: refundGoal(orderId) });
    expect(stopped.status).toBe("escalated"); // denied at the gate (rule flag:tool): no approval is asked for
    expect(stopped.pending_approvals).toEqual([]);
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(0);
  });
});
