import { evaluateCondition, resolvePath, type PolicyScope } from "./conditions.js";
import { POLICY_ERROR_RULE, parsePolicy, type PolicyDocumentInput, type PolicyRule } from "./policy-schema.js";
import { renderCustomerReason, renderReason } from "./render-reason.js";
import type {
  Decision,
  PolicyContext,
  PolicyEffect,
  PolicyEngine,
  PolicyPoint,
  PolicySubject,
} from "./types.js";

/** Higher is more restrictive: among matching rules the most restrictive effect wins. */
const RESTRICTIVENESS: Record<PolicyEffect, number> = { allow: 0, require_approval: 1, deny: 2 };

type Params = Record<string, unknown>;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function errorMessage(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return "policy evaluation failed";
  }
}

function toolMatches(rule: PolicyRule, subject: PolicySubject): boolean {
  if (rule.tool === undefined) return true;
  const tool = resolvePath({ subject }, "subject.tool");
  if (typeof tool !== "string") return false;
  return typeof rule.tool === "string" ? rule.tool === tool : rule.tool.includes(tool);
}

/**
 * Creates the engine for a policy document (validated here too, so an inline document gets the same checks as
 * a file). The document is copied and frozen: later changes to the input do not change decisions.
 * @throws WardenError `POLICY_INVALID` when the document fails validation.
 * @example
 * const engine = createPolicyEngine(doc);
 * engine.decide("tool_call", { tool: "issue_credit", args: { amount: 42 } }, { tenant, actor, roles, facts });
 */
export function createPolicyEngine(document: PolicyDocumentInput): PolicyEngine {
  // Cloned before freezing: zod passes JSON param values through by reference, and the caller keeps theirs.
  const doc = deepFreeze(structuredClone(parsePolicy(document)));
  const ref = `${doc.id}@${doc.version}`;

  const rulesByPoint = new Map<string, PolicyRule[]>();
  const rulesById = new Map<string, PolicyRule>();
  for (const rule of doc.rules) {
    rulesById.set(rule.id, rule);
    const rules = rulesByPoint.get(rule.point) ?? [];
    rules.push(rule);
    rulesByPoint.set(rule.point, rules);
  }

  function tenantParams(tenant: string): Params {
    const overrides = Object.hasOwn(doc.params.tenants, tenant) ? doc.params.tenants[tenant] : undefined;
    return { ...doc.params.defaults, ...overrides };
  }

  // Validates what TypeScript cannot guarantee at runtime (JS callers, deserialized state): a malformed
  // subject or context must not slip past rules that read it and land on a permissive default.
  function buildScope(subject: unknown, ctx: unknown): PolicyScope {
    if (!isRecord(subject)) throw new Error("Policy subject must be an object");
    if (!isRecord(ctx)) throw new Error("Policy context must be an object");
    const { tenant, actor, roles, facts } = ctx;
    if (typeof tenant !== "string" || tenant === "") throw new Error("Policy context needs a tenant");
    if (!Array.isArray(roles)) throw new Error("Policy context needs roles");
    if (facts !== undefined && !isRecord(facts)) throw new Error("Policy facts must be an object");
    return { subject, facts: facts ?? {}, params: tenantParams(tenant), ctx: { tenant, actor, roles } };
  }

  function decide(point: PolicyPoint, subject: PolicySubject, ctx: PolicyContext): Decision {
    try {
      const fallback = Object.hasOwn(doc.defaults, point) ? doc.defaults[point] : undefined;
      if (fallback === undefined) throw new Error(`Unknown policy point "${String(point)}"`);
      const scope = buildScope(subject, ctx);

      // Every rule of the point is evaluated (no early exit on the first deny), so an error reading the
      // subject is reported as policy-error whatever the rules' sequence.
      let winner: PolicyRule | undefined;
      for (const rule of rulesByPoint.get(point) ?? []) {
        if (!toolMatches(rule, subject)) continue;
        if (rule.when !== undefined && !evaluateCondition(rule.when, scope)) continue;
        if (winner === undefined || RESTRICTIVENESS[rule.effect] > RESTRICTIVENESS[winner.effect]) winner = rule;
      }

      if (winner === undefined) {
        return {
          point,
          effect: fallback,
          rule: `default:${point}`,
          reason: `No rule matched; the default for ${point} is ${fallback}`,
          policy: ref,
        };
      }
      const customerReason = winner.customer_reason === undefined ? undefined : renderCustomerReason(winner.customer_reason, scope);
      return {
        point,
        effect: winner.effect,
        rule: winner.id,
        reason: renderReason(winner.reason, scope),
        ...(customerReason === undefined ? {} : { customerReason }),
        policy: ref,
      };
    } catch (error) {
      return { point, effect: "deny", rule: POLICY_ERROR_RULE, reason: errorMessage(error), policy: ref };
    }
  }

  function customerReason(ruleId: string, subject: PolicySubject, ctx: PolicyContext): string | undefined {
    try {
      const template = rulesById.get(ruleId)?.customer_reason;
      return template === undefined ? undefined : renderCustomerReason(template, buildScope(subject, ctx));
    } catch {
      // Only wording: a scope that cannot be read leaves the caller's neutral text.
      return undefined;
    }
  }

  function permissionsFor(roles: string[]): string[] {
    const permissions = new Set<string>();
    for (const role of roles) {
      if (!Object.hasOwn(doc.roles, role)) continue;
      for (const permission of doc.roles[role] ?? []) permissions.add(permission);
    }
    return [...permissions];
  }

  // Callers get their own copy: the engine's params are frozen and shared by every decision.
  const paramsFor = (tenant: string): Params => structuredClone(tenantParams(tenant));

  return { ref, decide, customerReason, permissionsFor, paramsFor };
}
