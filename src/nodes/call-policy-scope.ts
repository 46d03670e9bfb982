import type { State } from "../kernel/state.js";
import type { PolicyContext, PolicySubject } from "../policy/types.js";
import type { NodeKit } from "../kernel/node-kit.js";

/** What policy reads about one tool call: the subject, the context with the tool's facts, and why facts failed. */
export interface CallPolicyScope {
  subject: PolicySubject;
  ctx: PolicyContext;
  /** Set when the tool's `policyFacts` threw: the gate denies (fail closed); wording falls back to neutral text. */
  factsError?: string;
}

/**
 * The subject and context policy decides a proposed call on, with the facts the tool looks up for it
 * (`policyFacts`, e.g. an account's balance and age). The gate decides on it; the customer-facing text of a decision
 * kept only as a rule id is rendered from it again (`customerReasonOf`).
 */
export async function callPolicyScope(
  kit: NodeKit,
  state: State,
  call: { name: string; args: unknown },
  proposedBy: "model" | "workflow",
): Promise<CallPolicyScope> {
  const tool = kit.loaded.tools.get(call.name);
  const parsed = tool?.input.safeParse(call.args);
  const argsValid = parsed?.success === true;
  let facts: Record<string, unknown> = {};
  let factsError: string | undefined;
  if (tool?.policyFacts && parsed?.success) {
    try {
      facts = await tool.policyFacts(parsed.data, { tenant: state.tenant, db: kit.deps.db });
    } catch (error) {
      factsError = error instanceof Error ? error.message : String(error);
    }
  }
  const subject = {
    tool: call.name,
    args: call.args,
    known: tool !== undefined,
    args_valid: argsValid,
    side_effect: tool?.sideEffect ?? "unknown",
    proposed_by: proposedBy,
  };
  const ctx = { tenant: state.tenant, actor: state.actor, roles: state.roles, facts };
  return factsError === undefined ? { subject, ctx } : { subject, ctx, factsError };
}
