import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isWardenError, type WardenError } from "../../src/errors.js";
import type { Condition } from "../../src/policy/condition-schema.js";
import { createPolicyEngine } from "../../src/policy/create-policy-engine.js";
import { loadPolicy, loadPolicyEngine } from "../../src/policy/load-policy.js";
import type { PolicyDocumentInput } from "../../src/policy/policy-schema.js";
import type { PolicyContext, PolicyEngine, PolicySubject } from "../../src/policy/types.js";

const REFUNDS_PATH = join(import.meta.dirname, "..", "..", "policies", "refunds@1.json");

function ctx(tenant: string, facts: Record<string, unknown> = {}, roles = ["requester"]): PolicyContext {
  return { tenant, actor: "agent@example.com", roles, facts };
}

function refund(amount: unknown, orderId = "A-1001"): PolicySubject {
  return {
    tool: "issue_refund",
    args: { order_id: orderId, amount },
    known: true,
    args_valid: true,
    side_effect: "irreversible",
    proposed_by: "model",
  };
}

function order(total: number, ageDays: number, refundedTotal = 0): Record<string, unknown> {
  return { order: { exists: true, total, age_days: ageDays, refunded_total: refundedTotal } };
}

async function expectPolicyInvalid(promise: Promise<unknown>): Promise<WardenError> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(isWardenError(error, "POLICY_INVALID")).toBe(true);
  return error as WardenError;
}

describe("refunds@1", () => {
  let policy: PolicyEngine;
  beforeAll(async () => {
    policy = await loadPolicyEngine(REFUNDS_PATH);
  });

  it("is named by its id and version", () => {
    expect(policy.ref).toBe("refunds@1");
  });

  it.each([
    ["acme refund of 42 on a 42 order, 5 days old", "acme", refund(42), order(42, 5), "require_approval", "refund-requires-approval"],
    ["600 on a 900 order over acme's cap of 500", "acme", refund(600), order(900, 3), "deny", "refund-over-tenant-cap"],
    ["120 on a 45-day-old order", "acme", refund(120), order(120, 45), "deny", "refund-window"],
    ["globex 300 over its cap of 250", "globex", refund(300), order(400, 5), "deny", "refund-over-tenant-cap"],
    ["acme 300 under its cap of 500", "acme", refund(300), order(400, 5), "require_approval", "refund-requires-approval"],
    ["9999 on a 42 order", "acme", refund(9999), order(42, 5), "deny", "refund-over-order-total"],
    ["an order that was already refunded", "acme", refund(10), order(42, 5, 42), "deny", "refund-already-issued"],
    ["an order the lookup did not find", "acme", refund(10, "A-404"), { order: { exists: false } }, "deny", "refund-order-missing"],
    ["no order facts at all", "acme", refund(10), {}, "deny", "refund-order-missing"],
    ["a refund without an amount", "acme", refund(undefined), order(42, 5), "deny", "refund-amount-invalid"],
    ["a negative refund", "acme", refund(-5), order(42, 5), "deny", "refund-amount-invalid"],
    ["a zero refund", "acme", refund(0), order(42, 5), "deny", "refund-amount-invalid"],
    ["a refund exactly at the window edge (30 days)", "acme", refund(42), order(42, 30), "require_approval", "refund-requires-approval"],
  ])("tool_call issue_refund: %s", (_name, tenant, subject, facts, effect, rule) => {
    const decision = policy.decide("tool_call", subject, ctx(tenant, facts));
    expect(decision).toMatchObject({ point: "tool_call", effect, rule, policy: "refunds@1" });
  });

  it("denies an unknown tool and invalid arguments", () => {
    const unknown = policy.decide("tool_call", { tool: "drop_tables", args: {}, known: false }, ctx("acme"));
    expect(unknown).toMatchObject({ effect: "deny", rule: "tool-unknown", reason: "Unknown tool drop_tables" });

    const invalid = policy.decide(
      "tool_call",
      { tool: "lookup_order", args: { order_id: 7 }, known: true, args_valid: false, side_effect: "read" },
      ctx("acme"),
    );
    expect(invalid).toMatchObject({ effect: "deny", rule: "tool-args-invalid" });

    // Invalid arguments of a refund are denied before any refund rule could ask for approval.
    const invalidRefund = policy.decide("tool_call", { ...refund("lots"), args_valid: false }, ctx("acme", order(42, 5)));
    expect(invalidRefund).toMatchObject({ effect: "deny", rule: "tool-args-invalid" });
  });

  it("asks approval for any other write or irreversible tool and allows read tools by default", () => {
    const write = { tool: "send_reply_draft", args: {}, known: true, args_valid: true, side_effect: "write" };
    expect(policy.decide("tool_call", write, ctx("acme"))).toMatchObject({
      effect: "require_approval",
      rule: "side-effect-needs-approval",
      reason: "send_reply_draft has a write side effect and needs an approver",
    });
    const read = { tool: "lookup_order", args: { order_id: "A-1001" }, known: true, args_valid: true, side_effect: "read" };
    expect(policy.decide("tool_call", read, ctx("acme"))).toMatchObject({ effect: "allow", rule: "default:tool_call" });
  });

  it("requires approval for outbound messages", () => {
    const decision = policy.decide("outbound_message", { tool: "send_email", args: { to: "x" } }, ctx("acme"));
    expect(decision).toMatchObject({ effect: "require_approval", rule: "outbound-requires-approval" });
  });

  it("denies a final answer without evidence and allows one with evidence", () => {
    expect(policy.decide("final_answer", { answer: "Done.", evidence_count: 0, evidence: [] }, ctx("acme"))).toMatchObject({
      effect: "deny",
      rule: "final-answer-needs-evidence",
    });
    expect(policy.decide("final_answer", { answer: "Done." }, ctx("acme"))).toMatchObject({
      effect: "deny",
      rule: "final-answer-needs-evidence",
    });
    expect(
      policy.decide("final_answer", { answer: "Order A-1001 was delivered.", evidence_count: 1, evidence: ["order:A-1001"] }, ctx("acme")),
    ).toMatchObject({ effect: "allow", rule: "default:final_answer" });
  });

  it("writes memory only with consent", () => {
    const memory = { subject: "customer:jane", kind: "preference", consent: true };
    expect(policy.decide("memory_write", memory, ctx("acme"))).toMatchObject({ effect: "allow", rule: "memory-write-needs-consent" });
    expect(policy.decide("memory_write", { ...memory, consent: false }, ctx("acme"))).toMatchObject({
      effect: "deny",
      rule: "default:memory_write",
    });
    expect(policy.decide("memory_write", { subject: "customer:jane", kind: "preference" }, ctx("acme"))).toMatchObject({
      effect: "deny",
      rule: "default:memory_write",
    });
  });

  it("allows retrieval by default", () => {
    expect(policy.decide("retrieval", { tool: "search_kb", args: { query: "refunds" } }, ctx("acme"))).toEqual({
      point: "retrieval",
      effect: "allow",
      rule: "default:retrieval",
      reason: "No rule matched; the default for retrieval is allow",
      policy: "refunds@1",
    });
  });

  it("fills reason placeholders from the subject, facts and tenant params", () => {
    expect(policy.decide("tool_call", refund(300), ctx("globex", order(400, 5))).reason).toBe(
      "Refund of 300 exceeds the cap of 250",
    );
    expect(policy.decide("tool_call", refund(120), ctx("acme", order(120, 45))).reason).toBe(
      "Order is 45 days old, too old for a refund (window: 30 days); send a draft explanation instead",
    );
    expect(policy.decide("tool_call", refund(undefined), ctx("acme", order(42, 5))).reason).toBe(
      "Refund amount (missing) is not a positive number",
    );
  });

  it("fails closed with policy-error when reading the subject throws", () => {
    const subject = refund(42);
    Object.defineProperty(subject, "args", {
      enumerable: true,
      get() {
        throw new Error("args exploded");
      },
    });
    expect(policy.decide("tool_call", subject, ctx("acme", order(42, 5)))).toEqual({
      point: "tool_call",
      effect: "deny",
      rule: "policy-error",
      reason: "args exploded",
      policy: "refunds@1",
    });
  });

  it("fails closed on a malformed subject, context or point instead of falling to a permissive default", () => {
    const notAnObject = null as unknown as PolicySubject;
    expect(policy.decide("retrieval", notAnObject, ctx("acme"))).toMatchObject({ effect: "deny", rule: "policy-error" });
    const noTenant = { actor: "x", roles: [], facts: {} } as unknown as PolicyContext;
    expect(policy.decide("retrieval", {}, noTenant)).toMatchObject({ effect: "deny", rule: "policy-error" });
    const unknownPoint = "toString" as unknown as "retrieval";
    expect(policy.decide(unknownPoint, {}, ctx("acme"))).toMatchObject({ effect: "deny", rule: "policy-error" });
  });

  it("grants the union of the roles' permissions and ignores unknown roles", () => {
    expect(policy.permissionsFor(["requester"]).sort()).toEqual(
      ["drafts:write", "messages:send", "orders:read", "policy:read", "refunds:issue"].sort(),
    );
    expect(policy.permissionsFor(["requester", "approver", "ghost", "__proto__"])).toContain("approvals:decide");
    expect(policy.permissionsFor(["requester"])).not.toContain("approvals:decide");
    expect(policy.permissionsFor(["admin"])).toEqual(expect.arrayContaining(["admin", "approvals:decide", "refunds:issue"]));
    expect(policy.permissionsFor([])).toEqual([]);
    expect(policy.permissionsFor(["ghost"])).toEqual([]);
  });

  it("merges tenant params over the defaults", () => {
    const retention = { preference: 365, fact: 90, default: 30 };
    expect(policy.paramsFor("globex")).toEqual({ refund_cap: 250, refund_window_days: 30, memory_retention_days: retention });
    expect(policy.paramsFor("initech")).toEqual({ refund_cap: 500, refund_window_days: 30, memory_retention_days: retention });
    // A caller mutating the returned params does not change later decisions.
    policy.paramsFor("globex").refund_cap = 10_000;
    expect(policy.decide("tool_call", refund(300), ctx("globex", order(400, 5))).rule).toBe("refund-over-tenant-cap");
  });
});

/** A small inline policy for the engine's semantics, independent of refunds@1. */
function inlinePolicy(rules: PolicyDocumentInput["rules"]): PolicyEngine {
  return createPolicyEngine({
    id: "test",
    version: 3,
    description: "engine semantics",
    params: { defaults: { limit: 10, tiers: ["gold"] }, tenants: { t2: { limit: 20 } } },
    roles: {},
    defaults: { retrieval: "allow", memory_write: "deny", tool_call: "allow", outbound_message: "deny", final_answer: "allow" },
    rules,
  });
}

describe("policy engine", () => {
  it("lets the most restrictive matching effect win whatever the file order", () => {
    const engine = inlinePolicy([
      { id: "allow-all", point: "tool_call", effect: "allow", reason: "a" },
      { id: "approve-all", point: "tool_call", effect: "require_approval", reason: "b" },
      { id: "deny-x", point: "tool_call", tool: "x", effect: "deny", reason: "c" },
      { id: "approve-again", point: "tool_call", effect: "require_approval", reason: "d" },
    ]);
    expect(engine.decide("tool_call", { tool: "x" }, ctx("t1")).rule).toBe("deny-x");
    // Among equally restrictive matches, the first in file order decides.
    expect(engine.decide("tool_call", { tool: "y" }, ctx("t1")).rule).toBe("approve-all");
    expect(engine.decide("retrieval", { tool: "x" }, ctx("t1")).rule).toBe("default:retrieval");
    expect(engine.ref).toBe("test@3");
  });

  it("matches a tool filter list against subject.tool and never matches a subject without a tool", () => {
    const engine = inlinePolicy([{ id: "deny-pair", point: "tool_call", tool: ["a", "b"], effect: "deny", reason: "no" }]);
    expect(engine.decide("tool_call", { tool: "b" }, ctx("t1")).effect).toBe("deny");
    expect(engine.decide("tool_call", { tool: "c" }, ctx("t1")).effect).toBe("allow");
    expect(engine.decide("tool_call", {}, ctx("t1")).effect).toBe("allow");
  });

  const cases: Array<[string, Condition, PolicySubject, boolean]> = [
    ["eq on a number", { path: "subject.n", op: "eq", value: 3 }, { n: 3 }, true],
    ["eq does not coerce", { path: "subject.n", op: "eq", value: 3 }, { n: "3" }, false],
    ["neq on a missing value is false", { path: "subject.n", op: "neq", value: 3 }, {}, false],
    ["neq on a different value", { path: "subject.n", op: "neq", value: 3 }, { n: 4 }, true],
    ["gt on a string is false", { path: "subject.n", op: "gt", value: 3 }, { n: "99" }, false],
    ["gte at the edge", { path: "subject.n", op: "gte", value: 3 }, { n: 3 }, true],
    ["lt on a missing value is false", { path: "subject.n", op: "lt", value: 3 }, {}, false],
    ["lte with a ref to tenant params", { path: "subject.n", op: "lte", ref: "params.limit" }, { n: 10 }, true],
    ["gt with a ref that is missing is false", { path: "subject.n", op: "gt", ref: "facts.nothing" }, { n: 10 }, false],
    ["in a literal list", { path: "subject.s", op: "in", value: ["a", "b"] }, { s: "b" }, true],
    ["in a ref list", { path: "subject.s", op: "in", ref: "params.tiers" }, { s: "gold" }, true],
    ["exists on null is false", { path: "subject.s", op: "exists" }, { s: null }, false],
    ["missing on null", { path: "subject.s", op: "missing" }, { s: null }, true],
    ["paths do not reach inherited members", { path: "subject.s.constructor", op: "exists" }, { s: {} }, false],
    ["ctx roots read the actor's roles", { path: "ctx.roles.0", op: "eq", value: "requester" }, {}, true],
    ["not", { not: { path: "subject.n", op: "eq", value: 1 } }, { n: 2 }, true],
    ["all needs every child", { all: [{ path: "subject.n", op: "gt", value: 1 }, { path: "subject.n", op: "lt", value: 5 }] }, { n: 7 }, false],
    ["any needs one child", { any: [{ path: "subject.n", op: "gt", value: 100 }, { path: "subject.n", op: "lt", value: 5 }] }, { n: 2 }, true],
  ];
  it.each(cases)("condition: %s", (_name, when, subject, matches) => {
    const engine = inlinePolicy([{ id: "probe", point: "final_answer", when, effect: "deny", reason: "matched" }]);
    expect(engine.decide("final_answer", subject, ctx("t1")).rule).toBe(matches ? "probe" : "default:final_answer");
  });

  it("reads params of the deciding tenant", () => {
    const engine = inlinePolicy([
      { id: "over-limit", point: "tool_call", when: { path: "subject.n", op: "gt", ref: "params.limit" }, effect: "deny", reason: "{subject.n} > {params.limit} for {ctx.tenant}" },
    ]);
    expect(engine.decide("tool_call", { n: 15 }, ctx("t1"))).toMatchObject({ rule: "over-limit", reason: "15 > 10 for t1" });
    expect(engine.decide("tool_call", { n: 15 }, ctx("t2")).rule).toBe("default:tool_call");
  });

  it("hands out params that callers may change without changing decisions", () => {
    const engine = inlinePolicy([
      { id: "tier", point: "final_answer", when: { path: "subject.tier", op: "in", ref: "params.tiers" }, effect: "deny", reason: "-" },
    ]);
    const params = engine.paramsFor("t1");
    (params.tiers as string[]).push("silver");
    params.limit = 0;
    expect(engine.decide("final_answer", { tier: "silver" }, ctx("t1")).rule).toBe("default:final_answer");
    expect(engine.paramsFor("t1")).toEqual({ limit: 10, tiers: ["gold"] });
  });

  it("is not changed by later edits to the document it was created from", () => {
    const doc: PolicyDocumentInput = {
      id: "frozen",
      version: 1,
      description: "",
      params: { defaults: {} },
      roles: { r: ["p"] },
      defaults: { retrieval: "allow", memory_write: "deny", tool_call: "allow", outbound_message: "deny", final_answer: "allow" },
      rules: [{ id: "deny-x", point: "tool_call", tool: "x", effect: "deny", reason: "no" }],
    };
    const engine = createPolicyEngine(doc);
    doc.rules[0]!.effect = "allow";
    doc.roles.r!.push("admin");
    expect(engine.decide("tool_call", { tool: "x" }, ctx("t1")).effect).toBe("deny");
    expect(engine.permissionsFor(["r"])).toEqual(["p"]);
  });
});

describe("loading policy files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "warden-policy-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function refundsWith(edit: (doc: Record<string, any>) => void, name = "refunds@1.json"): Promise<string> {
    const doc = await loadPolicy(REFUNDS_PATH);
    const copy = structuredClone(doc) as Record<string, any>;
    edit(copy);
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(copy));
    return path;
  }

  it("rejects an invalid file with POLICY_INVALID and the zod issues as details", async () => {
    const path = await refundsWith((doc) => {
      doc.rules[0].effect = "maybe";
      doc.rules[1].when = { path: "subject.args_valid", op: "eqq", value: false };
      delete doc.defaults.final_answer;
    });
    const error = await expectPolicyInvalid(loadPolicyEngine(path));
    const issuePaths = (error.details as Array<{ path: PropertyKey[] }>).map((issue) => issue.path.join("."));
    expect(issuePaths).toEqual(expect.arrayContaining(["rules.0.effect", "rules.1.when.op", "defaults.final_answer"]));
    expect(error.message).toContain(path);
  });

  it.each<[string, (doc: Record<string, any>) => void, string]>([
    ["a params reference with a typo", (doc) => (doc.rules[4].when.ref = "params.refund_capp"), "refund_capp"],
    ["a tenant override without a default", (doc) => (doc.params.tenants.acme.refund_limit = 5), "refund_limit"],
    ["a numeric comparison with a string", (doc) => (doc.rules[7].when.value = "0"), "compares with a number"],
    ["a comparison with both value and ref", (doc) => (doc.rules[4].when.value = 5), "exactly one of"],
    ["a duplicate rule id", (doc) => (doc.rules[1].id = doc.rules[0].id), "duplicate rule id"],
    ["an unknown path root", (doc) => (doc.rules[0].when.path = "input.known"), "dotted path"],
    ["a reason placeholder that is not a path", (doc) => (doc.rules[0].reason = "Unknown {tool}"), "{tool}"],
    ["an unrecognized key", (doc) => (doc.rules[0].tools = ["x"]), "tools"],
    ["an empty any", (doc) => (doc.rules[2].when.any = []), "any"],
  ])("rejects %s", async (_name, edit, messagePart) => {
    const error = await expectPolicyInvalid(loadPolicy(await refundsWith(edit)));
    expect(error.message).toContain(messagePart);
    expect(Array.isArray(error.details)).toBe(true);
  });

  it("rejects a file whose content does not match its id@version name", async () => {
    const error = await expectPolicyInvalid(loadPolicy(await refundsWith((doc) => (doc.version = 2))));
    expect(error.message).toContain("refunds@2");
  });

  it("rejects a file that is not JSON or does not exist", async () => {
    const path = join(dir, "broken@1.json");
    await writeFile(path, "{ not json");
    await expectPolicyInvalid(loadPolicy(path));
    await expectPolicyInvalid(loadPolicy(join(dir, "absent@1.json")));
  });

  it("rejects an invalid inline document too", () => {
    expect(() => createPolicyEngine({ id: "x" } as unknown as PolicyDocumentInput)).toThrowError(
      expect.objectContaining({ code: "POLICY_INVALID" }),
    );
  });
});
