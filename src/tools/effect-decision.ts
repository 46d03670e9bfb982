import { POLICY_ERROR_RULE } from "../policy/policy-schema.js";
import type { Decision, PolicyPoint } from "../policy/types.js";
import type { Queryable } from "../store/db.js";
import type { Denial, EffectPolicy, ToolCallRequest, ToolCallScope, ToolDefinition } from "./types.js";

const SEVERITY = { allow: 0, require_approval: 1, deny: 2 } as const;

export interface EffectDecisionRequest {
  tool: ToolDefinition;
  call: ToolCallRequest;
  /** The call's arguments as the tool's input schema parsed them. */
  input: unknown;
  argsHash: string;
  effectId: string;
  scope: ToolCallScope;
  policy: EffectPolicy;
}

/** What refused the call at the effect, and how the tool result reports it. */
export interface EffectRefusal {
  denial: Denial;
  message: string;
}

/**
 * Invariant 10: decides a write/irreversible call again right before it executes. Facts are read through `db`,
 * the effect's transaction, after the business-key lock: they include every effect committed before this one.
 * Same points and subject shape as the tool gate (`tool_call` and the tool's extra points, most restrictive
 * wins; facts that cannot be read deny with `policy-error`), each traced as a `policy.decision` with
 * `phase: "effect"`. `allow` accepts any valid authorization; `require_approval` only an approval (bound to the
 * argument hash, which the executor checked before). Returns the refusal, or undefined when the call may run.
 */
export async function decideAtEffect(db: Queryable, request: EffectDecisionRequest): Promise<EffectRefusal | undefined> {
  const { tool, call, scope, policy } = request;
  let facts: Record<string, unknown> = {};
  let factsError: string | undefined;
  if (tool.policyFacts) {
    try {
      facts = await tool.policyFacts(request.input, { tenant: scope.tenant, db });
    } catch (error) {
      factsError = error instanceof Error ? error.message : String(error);
    }
  }
  // The executor validated the tool and the arguments already, so `known` and `args_valid` are facts here.
  const subject = { tool: tool.name, args: call.args, known: true, args_valid: true, side_effect: tool.sideEffect, proposed_by: scope.origin };
  const ctx = { tenant: scope.tenant, actor: scope.actor, roles: policy.roles, facts };
  const points: PolicyPoint[] = ["tool_call", ...(tool.policyPoints ?? [])];
  const decisions: Decision[] = points.map((point) => policy.engine.decide(point, subject, ctx));
  if (factsError !== undefined) {
    decisions.push({ point: "tool_call", effect: "deny", rule: POLICY_ERROR_RULE, reason: `Policy facts unavailable: ${factsError}`, policy: policy.engine.ref });
  }
  for (const decision of decisions) {
    scope.trace.emit(
      "policy.decision",
      {
        point: decision.point,
        effect: decision.effect,
        rule: decision.rule,
        reason: decision.reason,
        policy: decision.policy,
        proposed_by: scope.origin,
        phase: "effect",
        "gen_ai.tool.name": tool.name,
        "gen_ai.tool.call.id": call.id,
        args_hash: request.argsHash,
        effect_id: request.effectId,
      },
      scope.node,
    );
  }
  const final = decisions.reduce((worst, next) => (SEVERITY[next.effect] > SEVERITY[worst.effect] ? next : worst));
  const denial: Denial = { rule: final.rule, reason: final.reason, policy: final.policy };
  if (final.effect === "deny") return { denial, message: `${tool.name} denied at the moment of the effect (${final.rule}): ${final.reason}` };
  if (final.effect === "require_approval" && scope.authorization?.kind !== "approval") {
    return { denial, message: `${tool.name} now needs an approval (${final.rule}: ${final.reason}); it was authorized only by a policy allow` };
  }
  return undefined;
}
