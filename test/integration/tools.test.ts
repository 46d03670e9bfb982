import { isOpenAITool } from "@langchain/core/language_models/base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { isWardenError } from "../../src/errors.js";
import type { Db, Queryable } from "../../src/store/db.js";
import type { Store } from "../../src/store/open-store.js";
import { effectIdFor, hashArgs } from "../../src/tools/args-hash.js";
import { defineTool } from "../../src/tools/define-tool.js";
import { createToolExecutor } from "../../src/tools/executor.js";
import { createToolRegistry } from "../../src/tools/registry.js";
import { createSupportRegistry, draftResponse, readPolicy } from "../../src/packs/support/tools/index.js";
import { ToolError } from "../../src/tools/tool-error.js";
import { toolJsonSchema } from "../../src/tools/tool-json-schema.js";
import type { Authorization, ToolCallScope, ToolDefinition } from "../../src/tools/types.js";
import type { RunTrace, TraceEvent, TraceKind } from "../../src/trace/types.js";
import { backends } from "../helpers/backends.js";
import { allowAllPolicy } from "../helpers/effect-policy.js";

interface Emitted {
  kind: TraceKind;
  attributes: Record<string, unknown>;
  node: string | undefined;
}

/** A RunTrace that keeps emitted events in memory. */
function fakeTrace(runId = "run_1"): RunTrace & { emitted: Emitted[] } {
  const emitted: Emitted[] = [];
  const scope = { tenant: "acme", runId, release: "test" };
  return {
    scope,
    emitted,
    emit(kind, attributes, node) {
      emitted.push({ kind, attributes: { ...attributes }, node });
    },
    async flush() {},
    async events(): Promise<TraceEvent[]> {
      return emitted.map((event, index) => ({ run_id: runId, seq: index + 1, at: new Date().toISOString(), tenant: "acme", release: "test", ...event }));
    },
  };
}

/** Tools in this section never touch a database: one that throws proves it. */
const noDb: Queryable & { transaction: Db["transaction"] } = {
  async query() {
    throw new Error("unexpected database access");
  },
  async transaction() {
    throw new Error("unexpected database access");
  },
};

const ALL_PERMISSIONS = ["policy:read", "orders:read", "drafts:write", "refunds:issue", "messages:send", "test:run"];

function makeScope(overrides: Partial<ToolCallScope> = {}): ToolCallScope & { trace: ReturnType<typeof fakeTrace> } {
  const trace = fakeTrace(overrides.runId ?? "run_1");
  // Effect tools are decided again at the effect; here by a policy that allows all, so the mechanics are tested.
  return { tenant: "acme", actor: "agent@acme", runId: "run_1", permissions: ALL_PERMISSIONS, origin: "model", node: "tools", policy: allowAllPolicy(), ...overrides, trace } as ToolCallScope & {
    trace: ReturnType<typeof fakeTrace>;
  };
}

const allow = (args: unknown, point: "tool_call" | "outbound_message" = "tool_call", effect: "allow" | "require_approval" = "allow"): Authorization => ({
  kind: "policy",
  decision: { point, effect, rule: "test-rule", reason: "test", policy: "test@1" },
  argsHash: hashArgs(args),
});

/** A scripted tool: each call takes the next behaviour; `calls` counts executions. */
function scriptedTool(behaviours: Array<(signal: AbortSignal) => Promise<unknown>>, spec: Partial<ToolDefinition> = {}) {
  const state = { calls: 0, signals: [] as AbortSignal[] };
  const tool = defineTool({
    name: "scripted",
    description: "A scripted test tool.",
    sideEffect: "read",
    permissions: ["test:run"],
    input: z.object({ n: z.number().int() }),
    output: z.object({ doubled: z.number() }),
    retry: { retries: 2, backoffMs: 50 },
    ...spec,
    async execute(_input, ctx) {
      state.signals.push(ctx.signal);
      const behaviour = behaviours[Math.min(state.calls, behaviours.length - 1)]!;
      state.calls++;
      return behaviour(ctx.signal);
    },
  });
  return { tool, state };
}

function executorFor(tools: ToolDefinition[], db: Queryable & { transaction: Db["transaction"] } = noDb) {
  const delays: number[] = [];
  const executor = createToolExecutor({
    registry: createToolRegistry(tools),
    db,
    sleep: async (ms) => void delays.push(ms),
    random: () => 0.5,
  });
  return { executor, delays };
}

describe("tool executor", () => {
  it("rejects bad input with the failing fields and does not execute the tool", async () => {
    const { tool, state } = scriptedTool([async () => ({ doubled: 2 })]);
    const { executor } = executorFor([tool]);
    const scope = makeScope();
    const result = await executor.execute({ id: "c1", name: "scripted", args: { n: "two", extra: 1 } }, scope);
    expect(result).toMatchObject({ status: "error", error: { code: "TOOL_INPUT_INVALID" }, permanent: false });
    if (result.status !== "error") throw new Error("expected an error");
    expect(result.error.message).toMatch(/n: .*expected number/);
    expect(state.calls).toBe(0);
    expect(scope.trace.emitted).toHaveLength(1);
    expect(scope.trace.emitted[0]!.attributes).toMatchObject({ status: "error", error_code: "TOOL_INPUT_INVALID" });
  });

  it("answers an unknown tool with TOOL_UNKNOWN for the model to correct", async () => {
    const { executor } = executorFor([scriptedTool([]).tool]);
    const scope = makeScope();
    const result = await executor.execute({ id: "c1", name: "delete_everything", args: {} }, scope);
    expect(result).toMatchObject({ status: "error", error: { code: "TOOL_UNKNOWN" }, permanent: false });
    expect(scope.trace.emitted.map((event) => event.attributes["gen_ai.tool.name"])).toEqual(["delete_everything"]);
  });

  it("denies a caller lacking a required permission without executing", async () => {
    const { tool, state } = scriptedTool([async () => ({ doubled: 2 })]);
    const { executor } = executorFor([tool]);
    const scope = makeScope({ permissions: ["orders:read"] });
    const result = await executor.execute({ id: "c1", name: "scripted", args: { n: 1 } }, scope);
    expect(result).toMatchObject({ status: "error", error: { code: "TOOL_PERMISSION_DENIED" }, permanent: true });
    expect(result.status === "error" && result.error.message).toContain("test:run");
    expect(state.calls).toBe(0);
    expect(scope.trace.emitted[0]!.attributes.status).toBe("denied");
  });

  it("retries a transient failure with growing backoff and then succeeds", async () => {
    const transient = async () => {
      throw new ToolError("UPSTREAM_BUSY", "try later", { retryable: true });
    };
    const { tool, state } = scriptedTool([transient, transient, async () => ({ doubled: 8 })]);
    const { executor, delays } = executorFor([tool]);
    const scope = makeScope();
    const result = await executor.execute({ id: "c1", name: "scripted", args: { n: 4 } }, scope);
    expect(result).toEqual({ status: "ok", output: { doubled: 8 }, replayed: false });
    expect(state.calls).toBe(3);
    // random() = 0.5 → 75% of backoffMs * 2^(retry-1)
    expect(delays).toEqual([38, 75]);
    expect(scope.trace.emitted).toHaveLength(1);
    expect(scope.trace.emitted[0]!.attributes).toMatchObject({ status: "ok", retries: 2 });
  });

  it("escalates a transient failure that outlasts its retries", async () => {
    const { tool, state } = scriptedTool([async () => { throw new ToolError("UPSTREAM_BUSY", "try later", { retryable: true }); }], { retry: { retries: 1 } });
    const { executor } = executorFor([tool]);
    const scope = makeScope();
    const result = await executor.execute({ id: "c1", name: "scripted", args: { n: 4 } }, scope);
    expect(result).toMatchObject({ status: "error", error: { code: "UPSTREAM_BUSY" }, permanent: true });
    expect(state.calls).toBe(2);
    expect(scope.trace.emitted[0]!.attributes.retries).toBe(1);
  });

  it("does not retry a permanent failure and marks it permanent", async () => {
    const { tool, state } = scriptedTool([async () => { throw new Error("disk on fire"); }]);
    const { executor } = executorFor([tool]);
    const result = await executor.execute({ id: "c1", name: "scripted", args: { n: 1 } }, makeScope());
    expect(result).toEqual({ status: "error", error: { code: "TOOL_FAILED", message: "disk on fire" }, permanent: true });
    expect(state.calls).toBe(1);
  });

  it("sends a recoverable tool error back to the model (permanent: false)", async () => {
    const { tool } = scriptedTool([async () => { throw new ToolError("ORDER_NOT_FOUND", "No such order.", { recoverable: true }); }]);
    const { executor } = executorFor([tool]);
    const result = await executor.execute({ id: "c1", name: "scripted", args: { n: 1 } }, makeScope());
    expect(result).toMatchObject({ status: "error", error: { code: "ORDER_NOT_FOUND" }, permanent: false });
  });

  it("times out a hanging tool, aborts its signal, retries, then reports TOOL_TIMEOUT", async () => {
    const { tool, state } = scriptedTool([() => new Promise(() => {})], { timeoutMs: 20, retry: { retries: 1, backoffMs: 1 } });
    const { executor } = executorFor([tool]);
    const scope = makeScope();
    const started = Date.now();
    const result = await executor.execute({ id: "c1", name: "scripted", args: { n: 1 } }, scope);
    expect(result).toMatchObject({ status: "error", error: { code: "TOOL_TIMEOUT" }, permanent: true });
    expect(state.calls).toBe(2);
    expect(state.signals.every((signal) => signal.aborted)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(scope.trace.emitted[0]!.attributes).toMatchObject({ status: "error", error_code: "TOOL_TIMEOUT", retries: 1 });
  });

  it("rejects output that breaks the tool's output schema", async () => {
    const { tool, state } = scriptedTool([async () => ({ doubled: "eight" })]);
    const { executor } = executorFor([tool]);
    const result = await executor.execute({ id: "c1", name: "scripted", args: { n: 4 } }, makeScope());
    expect(result).toMatchObject({ status: "error", error: { code: "TOOL_OUTPUT_INVALID" }, permanent: true });
    expect(state.calls).toBe(1);
  });

  it("emits exactly one tool.call event per call, with the GenAI attributes", async () => {
    const { tool } = scriptedTool([async () => ({ doubled: 2 })], { cost: 0.002 });
    const { executor } = executorFor([tool]);
    const scope = makeScope({ origin: "workflow", node: "lookup_step" });
    await executor.execute({ id: "call_a", name: "scripted", args: { n: 1 } }, scope);
    await executor.execute({ id: "call_b", name: "scripted", args: { n: "x" } }, scope);
    expect(scope.trace.emitted.map((event) => [event.kind, event.node])).toEqual([
      ["tool.call", "lookup_step"],
      ["tool.call", "lookup_step"],
    ]);
    const [ok, bad] = scope.trace.emitted.map((event) => event.attributes);
    expect(ok).toEqual({
      "gen_ai.tool.name": "scripted",
      "gen_ai.tool.call.id": "call_a",
      "gen_ai.tool.call.arguments": { n: 1 },
      side_effect: "read",
      status: "ok",
      latency_ms: expect.any(Number),
      retries: 0,
      cost: 0.002,
      args_hash: hashArgs({ n: 1 }),
      origin: "workflow",
    });
    expect(bad).toMatchObject({ "gen_ai.tool.call.id": "call_b", status: "error", error_code: "TOOL_INPUT_INVALID", error_message: expect.stringContaining("n:") });
    expect(bad).not.toHaveProperty("cost");
  });

  it("refuses an effect tool without authorization before touching the database", async () => {
    const { tool, state } = scriptedTool([async () => ({ doubled: 2 })], { sideEffect: "write" });
    const { executor } = executorFor([tool]);
    const scope = makeScope();
    const result = await executor.execute({ id: "c1", name: "scripted", args: { n: 1 } }, scope);
    expect(result).toMatchObject({ status: "error", error: { code: "TOOL_UNAUTHORIZED_EFFECT" }, permanent: true });
    expect(state.calls).toBe(0);
    expect(scope.trace.emitted[0]!.attributes.status).toBe("denied");
  });
});

describe("tool definitions and registry", () => {
  it("rejects malformed specs at definition time", () => {
    const base = { description: "x", sideEffect: "read" as const, permissions: [], input: z.object({}), output: z.object({}), execute: async () => ({}) };
    expect(() => defineTool({ ...base, name: "Bad-Name" })).toThrow(/name must match/);
    expect(() => defineTool({ ...base, name: "ok", input: z.string() })).toThrow(/object schema/);
    expect(() => defineTool({ ...base, name: "ok", timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => defineTool({ ...base, name: "ok", input: z.object({ a: z.string().transform((s) => s.length) }) })).not.toThrow();
  });

  it("exposes support tools as OpenAI function tools that bindTools accepts", () => {
    const registry = createSupportRegistry();
    expect(registry.names()).toEqual(["read_policy", "lookup_order", "draft_response", "issue_refund", "send_message", "remember"]);
    const modelTools = registry.modelTools();
    expect(modelTools.every((tool) => isOpenAITool(tool))).toBe(true);
    const refund = toolJsonSchema(registry.get("issue_refund")!);
    expect(refund.parameters).toMatchObject({ type: "object", required: ["order_id", "amount", "reason"] });
    expect(refund.parameters).not.toHaveProperty("$schema");
    // A default makes the field optional for the model.
    expect(toolJsonSchema(draftResponse).parameters.required).toEqual(["outcome", "reason"]);
  });

  it("subsets to a release's tools and rejects unknown names", () => {
    const registry = createSupportRegistry();
    const subset = registry.subset(["lookup_order", "read_policy"]);
    expect(subset.names()).toEqual(["lookup_order", "read_policy"]);
    expect(subset.has("issue_refund")).toBe(false);
    let thrown: unknown;
    try {
      registry.subset(["lookup_ordr"]);
    } catch (error) {
      thrown = error;
    }
    expect(isWardenError(thrown, "RELEASE_INVALID")).toBe(true);
    expect(() => createToolRegistry([readPolicy, readPolicy])).toThrow(/duplicate/);
  });

  it("hashes arguments independently of key order, and derives a stable effect id", () => {
    expect(hashArgs({ b: 1, a: { d: [1, 2], c: "x" } })).toBe(hashArgs({ a: { c: "x", d: [1, 2] }, b: 1 }));
    expect(hashArgs({ amount: 42 })).not.toBe(hashArgs({ amount: 420 }));
    expect(hashArgs({ a: [1, 2] })).not.toBe(hashArgs({ a: [2, 1] }));
    expect(hashArgs({ a: 1 })).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(effectIdFor("acme", "run_1", "call_1")).toMatch(/^eff_[0-9a-f]{32}$/);
    expect(effectIdFor("acme", "run_1", "call_1")).toBe(effectIdFor("acme", "run_1", "call_1"));
    expect(effectIdFor("globex", "run_1", "call_1")).not.toBe(effectIdFor("acme", "run_1", "call_1"));
  });
});

describe("read-only support tools", () => {
  const { executor } = executorFor([readPolicy, draftResponse]);

  it("read_policy returns the refund policy, narrowed to a topic", async () => {
    const all = await executor.execute({ id: "c1", name: "read_policy", args: {} }, makeScope());
    if (all.status !== "ok") throw new Error(JSON.stringify(all));
    const policy = all.output as { policy_id: string; text: string; sections: string[] };
    expect(policy.policy_id).toBe("refund-policy@1");
    expect(policy.text).toContain("within 30 days of delivery");
    expect(policy.sections).toContain("Review and approval");
    const damaged = await executor.execute({ id: "c2", name: "read_policy", args: { topic: "damaged item" } }, makeScope());
    expect(damaged.status === "ok" && (damaged.output as { sections: string[] }).sections).toEqual(["Damaged or wrong items"]);
  });

  it("draft_response drafts the same text for the same input", async () => {
    const args = { order_id: "A-1001", outcome: "refund_issued", reason: "The mug arrived chipped", amount: 42 };
    const first = await executor.execute({ id: "c1", name: "draft_response", args }, makeScope());
    const second = await executor.execute({ id: "c2", name: "draft_response", args }, makeScope());
    expect(first.status === "ok" && first.output).toEqual(second.status === "ok" && second.output);
    expect(first.status === "ok" && (first.output as { draft: string }).draft).toContain("refund of 42.00 USD for order A-1001. The mug arrived chipped.");
  });
});

describe.each(backends)("effect authorization on $name", (backend) => {
  let store: Store;
  const outboxCount = async () => (await store.db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE tenant_id = 'acme'")).rows[0]!.n;
  const effectCount = async () => (await store.db.query<{ n: number }>("SELECT count(*)::int AS n FROM tool_effects WHERE tenant_id = 'acme'")).rows[0]!.n;
  const message = { to: "jane.doe@example.com", subject: "Your refund", body: "We refunded 42.00 USD." };

  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store?.close();
  });

  it("a write tool without authorization is denied and the database is unchanged", async () => {
    const executor = createToolExecutor({ registry: createSupportRegistry(), db: store.db });
    const [outbox, effects] = [await outboxCount(), await effectCount()];
    const scope = makeScope({ runId: "run_unauth" });
    const result = await executor.execute({ id: "c1", name: "send_message", args: message }, scope);
    expect(result).toMatchObject({ status: "error", error: { code: "TOOL_UNAUTHORIZED_EFFECT" }, permanent: true });
    expect([await outboxCount(), await effectCount()]).toEqual([outbox, effects]);
    expect(scope.trace.emitted[0]!.attributes).toMatchObject({ status: "denied", side_effect: "write" });
  });

  it("an authorization for other arguments, a non-allow or another point does not authorize", async () => {
    const executor = createToolExecutor({ registry: createSupportRegistry(), db: store.db });
    const outbox = await outboxCount();
    const other = { ...message, to: "attacker@example.net" };
    for (const authorization of [
      allow(other),
      allow(message, "tool_call", "require_approval"),
      allow(message, "outbound_message"),
      { kind: "approval", approvalId: "apr_1", approver: "boss@acme", argsHash: hashArgs(other) } as Authorization,
    ]) {
      const result = await executor.execute({ id: "c1", name: "send_message", args: message }, makeScope({ runId: "run_wrong", authorization }));
      expect(result).toMatchObject({ status: "error", error: { code: "TOOL_UNAUTHORIZED_EFFECT" }, permanent: true });
    }
    expect(await outboxCount()).toBe(outbox);
  });

  it("an allowed or approved write runs once per tool call with the ledger id as idempotency key", async () => {
    const executor = createToolExecutor({ registry: createSupportRegistry(), db: store.db });
    const outbox = await outboxCount();
    const scope = makeScope({ runId: "run_ok", authorization: allow(message) });
    const first = await executor.execute({ id: "c1", name: "send_message", args: message }, scope);
    const again = await executor.execute({ id: "c1", name: "send_message", args: message }, scope);
    const approved = await executor.execute(
      { id: "c2", name: "send_message", args: message },
      makeScope({ runId: "run_ok", authorization: { kind: "approval", approvalId: "apr_2", approver: "boss@acme", argsHash: hashArgs(message) } }),
    );
    const effectId = effectIdFor("acme", "run_ok", "c1");
    expect(first).toMatchObject({ status: "ok", effectId, replayed: false, output: { status: "queued" } });
    expect(again).toMatchObject({ status: "ok", effectId, replayed: true });
    expect(again.status === "ok" && again.output).toEqual(first.status === "ok" && first.output);
    expect(approved).toMatchObject({ status: "ok", replayed: false });
    expect(await outboxCount()).toBe(outbox + 2);
    const { rows } = await store.db.query("SELECT idempotency_key, recipient FROM outbox WHERE tenant_id = 'acme' AND idempotency_key = $1", [effectId]);
    expect(rows).toEqual([{ idempotency_key: effectId, recipient: "jane.doe@example.com" }]);
    const calls = scope.trace.emitted.filter((event) => event.kind === "tool.call");
    expect(calls.map((event) => event.attributes.status)).toEqual(["ok", "replayed"]);
    expect(calls[0]!.attributes.effect_id).toBe(effectId);
    // Policy was asked again at the effect (both points the gate asks for send_message); a replay asks nothing.
    const decided = scope.trace.emitted.filter((event) => event.kind === "policy.decision");
    expect(decided.map((event) => [event.attributes.point, event.attributes.phase, event.attributes.effect_id])).toEqual([
      ["tool_call", "effect", effectId],
      ["outbound_message", "effect", effectId],
    ]);
  });
});
