import type { FastifyInstance, InjectOptions } from "fastify";
import { describe, expect } from "vitest";
import { createApiKey, type Role } from "../../src/server/api-keys.js";
import type { Store } from "../../src/store/open-store.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, refundGoal, refundsFor } from "../helpers/runtime.js";

type Method = "GET" | "POST";

type ActorKeys = Record<"alice" | "bob" | "carol" | "dave" | "admin", string>;

/** Keys of one tenant: requesters alice and dave, approvers bob and carol, and an admin. */
async function actorKeysIn(store: Store): Promise<ActorKeys> {
  const make = async (actor: string, roles: Role[]) => (await createApiKey(store.db, { tenant: "acme", actor, roles })).key;
  return { alice: await make("alice", ["requester"]), bob: await make("bob", ["approver"]), carol: await make("carol", ["approver"]), dave: await make("dave", ["requester"]), admin: await make("root", ["admin"]) };
}

function callOn(app: FastifyInstance) {
  return (key: string, method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const options: InjectOptions = { method, url, headers: { authorization: `Bearer ${key}`, ...headers } };
    if (payload !== undefined) options.payload = payload as InjectOptions["payload"];
    return app.inject(options);
  };
}

function waitingRefundOn(store: Store, call: ReturnType<typeof callOn>, keys: ActorKeys) {
  return async (orderId?: string) => {
    const order = orderId ?? (await addOrder(store.db));
    const response = await call(keys.alice, "POST", "/v1/runs", { goal: refundGoal(order) });
    expect(response.statusCode).toBe(200);
    const record = response.json();
    expect(record.status).toBe("waiting_approval");
    return { order, record, approvalId: record.pending_approvals[0].approval_id as string };
  };
}

const suites = onBackends().map((suite) => ({
  ...suite,
  it: suite.it
    // The app and its keys are ready before the file's own keys are made, as they always were.
    .extend("actorKeys", { scope: "file" }, async ({ store, server: _ready }) => actorKeysIn(store))
    .extend("call", { scope: "file" }, async ({ app }) => callOn(app))
    .extend("waitingRefund", { scope: "file" }, async ({ store, call, actorKeys }) => waitingRefundOn(store, call, actorKeys)),
}));

/** The seed scenario and the run/approval/thread routes over HTTP, with keys of one tenant. */
describe.each(suites)("HTTP runs, approvals and threads on $name", ({ it }) => {
  it("runs the seed scenario: a requester's refund waits, an approver approves it, one refund is issued, the trace is readable", async ({ store, actorKeys: keys, call }) => {
    const before = await refundsFor(store.db, "acme", "A-1001");
    const started = await call(keys.alice, "POST", "/v1/runs", { goal: "Refund order A-1001, the mug arrived chipped." });
    expect(started.statusCode).toBe(200);
    const record = started.json();
    expect(record).toMatchObject({ tenant: "acme", actor: "alice", route: "refund_workflow", status: "waiting_approval", effects: [] });
    expect(record.pending_approvals).toHaveLength(1);
    const pending = record.pending_approvals[0];
    expect(pending).toMatchObject({ tool: "issue_refund", args: { order_id: "A-1001", amount: 42 } });

    const listed = await call(keys.bob, "GET", "/v1/approvals");
    expect(listed.statusCode).toBe(200);
    const approval = listed.json().approvals.find((item: { approval_id: string }) => item.approval_id === pending.approval_id);
    expect(approval).toMatchObject({ run_id: record.run_id, tool: "issue_refund", requested_by: "alice", status: "pending", args_hash: pending.args_hash });
    expect(Date.parse(approval.created_at)).not.toBeNaN();

    const decided = await call(keys.bob, "POST", `/v1/approvals/${pending.approval_id}`, { decision: "approve", comment: "ok", args_hash: pending.args_hash });
    expect(decided.statusCode).toBe(200);
    const done = decided.json();
    expect(done).toMatchObject({ run_id: record.run_id, status: "completed", pending_approvals: [] });
    expect(done.answer).toMatch(/refund/i);
    expect(done.effects).toEqual([expect.objectContaining({ tool: "issue_refund", status: "completed" })]);
    expect(await refundsFor(store.db, "acme", "A-1001")).toHaveLength(before.length + 1);

    const read = await call(keys.alice, "GET", `/v1/runs/${record.run_id}`);
    expect(read.json()).toEqual(done);
    const trace = await call(keys.bob, "GET", `/v1/runs/${record.run_id}/trace`);
    expect(trace.statusCode).toBe(200);
    const { run_id, events } = trace.json();
    expect(run_id).toBe(record.run_id);
    const kinds = events.map((event: { kind: string }) => event.kind);
    expect(kinds[0]).toBe("run.started");
    expect(kinds).toEqual(expect.arrayContaining(["approval.requested", "approval.resolved", "tool.call", "run.finished"]));
    expect(events.map((event: { seq: number }) => event.seq)).toEqual(events.map((_: unknown, index: number) => index + 1));
    const tail = await call(keys.bob, "GET", `/v1/runs/${record.run_id}/trace?after=${events.length - 2}`);
    expect(tail.json().events.map((event: { seq: number }) => event.seq)).toEqual([events.length - 1, events.length]);
    expect((await call(keys.bob, "GET", "/v1/approvals")).json().approvals.map((item: { approval_id: string }) => item.approval_id)).not.toContain(pending.approval_id);
    const approved = await call(keys.bob, "GET", `/v1/approvals?status=approved&run_id=${record.run_id}`);
    expect(approved.json().approvals).toEqual([expect.objectContaining({ approval_id: pending.approval_id, status: "approved" })]);
  });

  it("enforces roles: a requester cannot approve their own run, an approver-only key cannot start one", async ({ store, actorKeys: keys, call, waitingRefund }) => {
    const { order, approvalId, record } = await waitingRefund();
    const own = await call(keys.alice, "POST", `/v1/approvals/${approvalId}`, { decision: "approve" });
    expect(own.statusCode).toBe(403);
    expect(own.json().error.code).toBe("FORBIDDEN");
    expect((await call(keys.alice, "GET", "/v1/approvals")).statusCode).toBe(403);
    const approverStarts = await call(keys.bob, "POST", "/v1/runs", { goal: refundGoal(order) });
    expect(approverStarts.statusCode).toBe(403);
    expect(approverStarts.json()).toEqual({ error: { code: "FORBIDDEN", message: expect.any(String) } });
    // Four-eyes holds even for a key that has both roles: the requester is never their own approver.
    const both = (await createApiKey(store.db, { tenant: "acme", actor: "alice", roles: ["requester", "approver"] })).key;
    const fourEyes = await call(both, "POST", `/v1/approvals/${approvalId}`, { decision: "approve" });
    expect(fourEyes.statusCode).toBe(403);
    expect(fourEyes.json().error.code).toBe("APPROVAL_FORBIDDEN");
    expect((await call(keys.alice, "GET", `/v1/runs/${record.run_id}`)).json().status).toBe("waiting_approval");
    expect(await refundsFor(store.db, "acme", order)).toHaveLength(0);
  });

  it("issues one refund when two approvers race on one approval: one 200, one 409", async ({ store, actorKeys: keys, call, waitingRefund }) => {
    const { order, approvalId } = await waitingRefund();
    const answers = await Promise.all([
      call(keys.bob, "POST", `/v1/approvals/${approvalId}`, { decision: "approve" }),
      call(keys.carol, "POST", `/v1/approvals/${approvalId}`, { decision: "approve" }),
    ]);
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 409]);
    const loser = answers.find((answer) => answer.statusCode === 409)!;
    expect(loser.json().error.code).toMatch(/^(APPROVAL_CONFLICT|RUN_NOT_WAITING)$/);
    expect(answers.find((answer) => answer.statusCode === 200)!.json().status).toBe("completed");
    expect(await refundsFor(store.db, "acme", order)).toHaveLength(1);
  });

  it("refuses a decision bound to other arguments (409 APPROVAL_MISMATCH) and applies a rejection without refunding", async ({ store, actorKeys: keys, call, waitingRefund }) => {
    const { order, approvalId, record } = await waitingRefund();
    const mismatch = await call(keys.bob, "POST", `/v1/approvals/${approvalId}`, { decision: "approve", args_hash: `sha256:${"0".repeat(64)}` });
    expect(mismatch.statusCode).toBe(409);
    expect(mismatch.json().error.code).toBe("APPROVAL_MISMATCH");
    const rejected = await call(keys.bob, "POST", `/v1/approvals/${approvalId}`, { decision: "reject", comment: "Photo missing." });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ run_id: record.run_id, pending_approvals: [], effects: [] });
    expect(rejected.json().status).not.toBe("waiting_approval");
    const again = await call(keys.carol, "POST", `/v1/approvals/${approvalId}`, { decision: "approve" });
    expect(again.statusCode).toBe(409);
    expect(await refundsFor(store.db, "acme", order)).toHaveLength(0);
  });

  it("cancels a waiting run for its actor or an admin only; a finished run is 409 RUN_FINISHED", async ({ store, actorKeys: keys, call, waitingRefund }) => {
    const first = await waitingRefund();
    const byOther = await call(keys.dave, "POST", `/v1/runs/${first.record.run_id}/cancel`);
    expect(byOther.statusCode).toBe(403);
    const cancelled = await call(keys.alice, "POST", `/v1/runs/${first.record.run_id}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: "cancelled", pending_approvals: [] });
    const twice = await call(keys.alice, "POST", `/v1/runs/${first.record.run_id}/cancel`);
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe("RUN_FINISHED");
    expect((await call(keys.bob, "POST", `/v1/approvals/${first.approvalId}`, { decision: "approve" })).statusCode).toBe(409);

    const second = await waitingRefund();
    const byAdmin = await call(keys.admin, "POST", `/v1/runs/${second.record.run_id}/cancel`);
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json().status).toBe("cancelled");
    expect(await refundsFor(store.db, "acme", first.order)).toHaveLength(0);
    expect(await refundsFor(store.db, "acme", second.order)).toHaveLength(0);
  });

  it("reads a thread's state and history, continues a thread, and refuses a second run while one waits (409)", async ({ actorKeys: keys, call, waitingRefund }) => {
    const { record, approvalId } = await waitingRefund();
    const busy = await call(keys.alice, "POST", "/v1/runs", { goal: "Where is my order A-1002?", thread_id: record.thread_id });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error.code).toBe("THREAD_BUSY");
    const state = await call(keys.alice, "GET", `/v1/threads/${record.thread_id}/state`);
    expect(state.statusCode).toBe(200);
    expect(state.json()).toMatchObject({ thread_id: record.thread_id, values: { run_id: record.run_id }, checkpoint_id: expect.any(String) });
    expect(state.json().next.length).toBeGreaterThan(0); // waiting on the approval step

    await call(keys.bob, "POST", `/v1/approvals/${approvalId}`, { decision: "approve" });
    const followUp = await call(keys.alice, "POST", "/v1/runs", { goal: "Where is my order A-1002?", thread_id: record.thread_id });
    expect(followUp.statusCode).toBe(200);
    expect(followUp.json()).toMatchObject({ thread_id: record.thread_id, status: "completed" });

    const history = await call(keys.alice, "GET", `/v1/threads/${record.thread_id}/history?limit=3`);
    expect(history.statusCode).toBe(200);
    const { states } = history.json();
    expect(states).toHaveLength(3);
    expect(states[0].checkpoint_id).toBe((await call(keys.alice, "GET", `/v1/threads/${record.thread_id}/state`)).json().checkpoint_id);
    expect((await call(keys.alice, "GET", `/v1/threads/${record.thread_id}/history`)).json().states.length).toBeGreaterThan(3);
    for (const limit of ["0", "101", "x", "-1"]) {
      expect((await call(keys.alice, "GET", `/v1/threads/${record.thread_id}/history?limit=${limit}`)).statusCode).toBe(400);
    }
  });

  it("runs with a context object and a chosen thread id, and answers 400 with details for a context over 16 KB", async ({ actorKeys: keys, call }) => {
    const ok = await call(keys.alice, "POST", "/v1/runs", { goal: "Please refund the espresso machine.", context: { order_id: "A-1003", amount: 900 }, thread_id: "support:case-77" });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ thread_id: "support:case-77", status: "denied" });
    // The longest thread id the body accepts (128 characters) is also readable through the URL.
    const longThread = `t-${"9".repeat(126)}`;
    expect((await call(keys.alice, "POST", "/v1/runs", { goal: "Where is my order A-1002?", thread_id: longThread })).statusCode).toBe(200);
    expect((await call(keys.alice, "GET", `/v1/threads/${longThread}/state`)).statusCode).toBe(200);
    const big = await call(keys.alice, "POST", "/v1/runs", { goal: "Where is my order?", context: { note: "x".repeat(17 * 1024) } });
    expect(big.statusCode).toBe(400);
    expect(big.json().error).toMatchObject({ code: "VALIDATION_FAILED", details: [expect.objectContaining({ path: "body.context" })] });
    const unknownRelease = await call(keys.alice, "POST", "/v1/runs", { goal: "Where is my order?", release: "nope@9" });
    expect(unknownRelease.statusCode).toBe(400);
    expect(unknownRelease.json().error.code).toBe("RELEASE_NOT_FOUND");
  });
});
