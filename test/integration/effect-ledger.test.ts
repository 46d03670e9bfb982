import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isWardenError } from "../../src/errors.js";
import type { Store } from "../../src/store/open-store.js";
import { effectIdFor, hashArgs } from "../../src/tools/args-hash.js";
import { defineTool } from "../../src/tools/define-tool.js";
import { createEffectLedger } from "../../src/tools/effect-ledger.js";
import { createToolExecutor } from "../../src/tools/executor.js";
import { createToolRegistry } from "../../src/tools/registry.js";
import { issueRefund, lookupOrder } from "../../src/packs/support/tools/index.js";
import { ToolError } from "../../src/tools/tool-error.js";
import type { Authorization, ToolCallScope, ToolContext } from "../../src/tools/types.js";
import type { RunTrace, TraceKind } from "../../src/trace/types.js";
import { backends } from "../helpers/backends.js";
import { allowAllPolicy } from "../helpers/effect-policy.js";

interface Emitted {
  kind: TraceKind;
  attributes: Record<string, unknown>;
}

/** A RunTrace that keeps emitted events in memory. */
function fakeTrace(tenant: string, runId: string): RunTrace & { emitted: Emitted[] } {
  const emitted: Emitted[] = [];
  return {
    scope: { tenant, runId, release: "test" },
    emitted,
    emit: (kind, attributes) => void emitted.push({ kind, attributes: { ...attributes } }),
    async flush() {},
    async events() {
      return [];
    },
  };
}

const approvedFor = (args: unknown): Authorization => ({ kind: "approval", approvalId: "apr_1", approver: "lead@acme", argsHash: hashArgs(args) });

function scopeFor(runId: string, args: unknown, tenant = "acme"): ToolCallScope & { trace: ReturnType<typeof fakeTrace> } {
  return {
    tenant,
    actor: "agent",
    runId,
    permissions: ["refunds:issue", "orders:read"],
    origin: "workflow",
    authorization: approvedFor(args),
    // These tests are about the ledger: policy decides again at the effect, here allowing every refund of A-1003.
    policy: allowAllPolicy(),
    trace: fakeTrace(tenant, runId),
  };
}

describe.each(backends)("effect ledger on $name", (backend) => {
  let store: Store;
  let executions = 0;
  // issue_refund as shipped, with its executions counted.
  const countedRefund = defineTool({
    ...issueRefund,
    async execute(input: unknown, ctx: ToolContext) {
      executions++;
      return issueRefund.execute(input, ctx);
    },
  });
  const registry = createToolRegistry([countedRefund, lookupOrder]);
  const refundArgs = { order_id: "A-1003", amount: 25.5, reason: "Late delivery" };

  const refundRows = async (tenant = "acme") =>
    (await store.db.query<{ refund_id: string; amount_cents: number; idempotency_key: string }>(
      "SELECT refund_id, amount_cents, idempotency_key FROM refunds WHERE tenant_id = $1 ORDER BY created_at",
      [tenant],
    )).rows;

  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store?.close();
  });

  it("policyFacts report the seeded orders' total, age and refunds", async () => {
    const facts = (orderId: string, tenant = "acme") =>
      issueRefund.policyFacts!({ order_id: orderId, amount: 1, reason: "x" }, { tenant, db: store.db });
    expect(await facts("A-1001")).toEqual({ order: { exists: true, total: 42, age_days: 5, refunded_total: 0 } });
    expect(await facts("A-1002")).toMatchObject({ order: { exists: true, total: 120, age_days: 45 } });
    expect(await facts("G-2001")).toEqual({ order: { exists: false } });
    expect(await facts("G-2001", "globex")).toMatchObject({ order: { exists: true, total: 42 } });
  });

  it("lookup_order of another tenant's order answers ORDER_NOT_FOUND", async () => {
    const executor = createToolExecutor({ registry, db: store.db });
    const fromAcme = await executor.execute({ id: "l1", name: "lookup_order", args: { order_id: "G-2001" } }, scopeFor("run_iso", {}));
    expect(fromAcme).toMatchObject({ status: "error", error: { code: "ORDER_NOT_FOUND" }, permanent: false });
    const fromGlobex = await executor.execute({ id: "l1", name: "lookup_order", args: { order_id: "G-2001" } }, scopeFor("run_iso", {}, "globex"));
    expect(fromGlobex).toMatchObject({ status: "ok", output: { order_id: "G-2001", total: 42, currency: "USD", age_days: 5, refunded_total: 0 } });
  });

  it("issues a refund once when the same tool call executes twice; the second is replayed without executing", async () => {
    const executor = createToolExecutor({ registry, db: store.db });
    const before = (await refundRows()).length;
    executions = 0;
    const scope = scopeFor("run_twice", refundArgs);
    const first = await executor.execute({ id: "call_1", name: "issue_refund", args: refundArgs }, scope);
    const second = await executor.execute({ id: "call_1", name: "issue_refund", args: refundArgs }, scope);
    const effectId = effectIdFor("acme", "run_twice", "call_1");
    expect(first).toMatchObject({ status: "ok", replayed: false, effectId, output: { order_id: "A-1003", amount: 25.5, currency: "USD", status: "issued", idempotency_key: effectId } });
    expect(second).toEqual({ ...first, replayed: true });
    expect(executions).toBe(1);
    expect((await refundRows()).length).toBe(before + 1);
    expect(scope.trace.emitted.filter((event) => event.kind === "tool.call").map((event) => event.attributes.status)).toEqual(["ok", "replayed"]);
    const [effect] = await createEffectLedger(store.db).list("acme", "run_twice");
    expect(effect).toMatchObject({ effectId, status: "completed", attempts: 1, result: first.status === "ok" ? first.output : null });
  });

  it("re-executes a call left 'started' by a crash after the provider call, and the provider dedupes it", async () => {
    const runId = "run_crash";
    const ledger = createEffectLedger(store.db);
    const begun = await ledger.begin({ tenant: "acme", runId, toolCallId: "call_1", tool: "issue_refund", argsHash: hashArgs(refundArgs) });
    expect(begun.state).toBe("new");
    // The provider call happened, then the process died before ledger.complete.
    const crashed = await issueRefund.execute(refundArgs, {
      tenant: "acme", actor: "agent", runId, toolCallId: "call_1", effectId: begun.effectId, signal: new AbortController().signal, db: store.db, attempt: 1,
    });
    const before = (await refundRows()).length;
    const executor = createToolExecutor({ registry, db: store.db });
    const resumed = await executor.execute({ id: "call_1", name: "issue_refund", args: refundArgs }, scopeFor(runId, refundArgs));
    expect(resumed).toMatchObject({ status: "ok", replayed: false, output: { refund_id: (crashed as { refund_id: string }).refund_id } });
    expect((await refundRows()).length).toBe(before);
    expect(await ledger.list("acme", runId)).toMatchObject([{ status: "completed", attempts: 2 }]);
  });

  it("two concurrent executions of the same call issue one refund", async () => {
    const executor = createToolExecutor({ registry, db: store.db });
    const before = (await refundRows()).length;
    const [a, b] = await Promise.all([
      executor.execute({ id: "call_1", name: "issue_refund", args: refundArgs }, scopeFor("run_race", refundArgs)),
      executor.execute({ id: "call_1", name: "issue_refund", args: refundArgs }, scopeFor("run_race", refundArgs)),
    ]);
    expect(a.status).toBe("ok");
    expect(b.status).toBe("ok");
    expect(a.status === "ok" && (a.output as { refund_id: string }).refund_id).toBe(b.status === "ok" && (b.output as { refund_id: string }).refund_id);
    expect((await refundRows()).length).toBe(before + 1);
  });

  it("a different tool call id is a different refund", async () => {
    const executor = createToolExecutor({ registry, db: store.db });
    const before = (await refundRows()).length;
    const first = await executor.execute({ id: "call_1", name: "issue_refund", args: refundArgs }, scopeFor("run_two", refundArgs));
    const second = await executor.execute({ id: "call_2", name: "issue_refund", args: refundArgs }, scopeFor("run_two", refundArgs));
    expect(first.status === "ok" && second.status === "ok").toBe(true);
    expect(first.status === "ok" && first.effectId).not.toBe(second.status === "ok" && second.effectId);
    expect((await refundRows()).length).toBe(before + 2);
  });

  it("refuses a tool call id reused with other arguments, without executing", async () => {
    const executor = createToolExecutor({ registry, db: store.db });
    await executor.execute({ id: "call_1", name: "issue_refund", args: refundArgs }, scopeFor("run_reuse", refundArgs));
    executions = 0;
    const bigger = { ...refundArgs, amount: 250 };
    const result = await executor.execute({ id: "call_1", name: "issue_refund", args: bigger }, scopeFor("run_reuse", bigger));
    expect(result).toMatchObject({ status: "error", error: { code: "TOOL_UNAUTHORIZED_EFFECT" }, permanent: true });
    expect(executions).toBe(0);
    let thrown: unknown;
    await createEffectLedger(store.db)
      .begin({ tenant: "acme", runId: "run_reuse", toolCallId: "call_1", tool: "issue_refund", argsHash: hashArgs(bigger) })
      .catch((error: unknown) => (thrown = error));
    expect(isWardenError(thrown, "TOOL_UNAUTHORIZED_EFFECT")).toBe(true);
  });

  it("replays a permanent failure but runs a transiently failed effect again", async () => {
    let behaviour: () => Promise<unknown> = async () => {
      throw new ToolError("CARD_EXPIRED", "The card expired.");
    };
    let calls = 0;
    const flaky = defineTool({
      ...issueRefund,
      retry: { retries: 0 },
      async execute(input: unknown, ctx: ToolContext) {
        calls++;
        await behaviour();
        return issueRefund.execute(input, ctx);
      },
    });
    const executor = createToolExecutor({ registry: createToolRegistry([flaky]), db: store.db, sleep: async () => {} });
    const run = (runId: string) => executor.execute({ id: "call_1", name: "issue_refund", args: refundArgs }, scopeFor(runId, refundArgs));

    expect(await run("run_perm")).toMatchObject({ status: "error", error: { code: "CARD_EXPIRED" }, permanent: true });
    behaviour = async () => {};
    expect(await run("run_perm")).toMatchObject({ status: "error", error: { code: "CARD_EXPIRED" }, permanent: true });
    expect(calls).toBe(1);

    behaviour = async () => {
      throw new ToolError("PROVIDER_BUSY", "503", { retryable: true });
    };
    expect(await run("run_transient")).toMatchObject({ status: "error", error: { code: "PROVIDER_BUSY" }, permanent: true });
    behaviour = async () => {};
    expect(await run("run_transient")).toMatchObject({ status: "ok", replayed: false });
    expect(calls).toBe(3);
    expect(await createEffectLedger(store.db).list("acme", "run_transient")).toMatchObject([{ status: "completed", attempts: 2, error: null }]);
  });

  it("claims a new effect in one statement, and keeps every query inside the tenant", async () => {
    const ledger = createEffectLedger(store.db);
    const effect = { tenant: "globex", runId: "run_hot", toolCallId: "call_1", tool: "issue_refund", argsHash: "sha256:x" };
    const statements = store.db.statementCount();
    const begun = await ledger.begin(effect);
    expect(store.db.statementCount() - statements).toBe(1);
    expect(begun).toEqual({ effectId: effectIdFor("globex", "run_hot", "call_1"), state: "new", attempts: 1 });
    expect(await ledger.begin(effect)).toMatchObject({ state: "started" });

    // Another tenant cannot see, complete or fail it.
    await ledger.complete("acme", begun.effectId, { stolen: true });
    expect(await ledger.attempt("acme", begun.effectId)).toBe(0);
    expect(await ledger.list("acme", "run_hot")).toEqual([]);
    expect(await ledger.list("globex", "run_hot")).toMatchObject([{ status: "started", result: null }]);

    await ledger.complete("globex", begun.effectId, { refund_id: "rf_1" });
    await ledger.fail("globex", begun.effectId, { code: "LATE", message: "a slower racer failed", retryable: false, permanent: true });
    expect(await ledger.begin(effect)).toEqual({ effectId: begun.effectId, state: "completed", result: { refund_id: "rf_1" }, attempts: 1 });
  });
});
