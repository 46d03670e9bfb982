import type { Authorization } from "./types.js";

/**
 * Invariant 1: a `write`/`irreversible` call runs only with an authorization bound to the hash of its exact
 * arguments — an approval, or a policy decision that allowed this call at the `tool_call` point.
 * Returns why the call is refused, or undefined when it may run. Fails closed on anything unexpected.
 */
export function effectRefusal(authorization: Authorization | undefined, argsHash: string): string | undefined {
  if (!authorization) return "no policy decision or approval authorizes this call";
  if (authorization.argsHash !== argsHash) return "the authorization was granted for different arguments";
  if (authorization.kind === "approval") {
    return authorization.approvalId && authorization.approver ? undefined : "the approval is incomplete";
  }
  if (authorization.kind === "policy") {
    const { decision } = authorization;
    if (decision?.point !== "tool_call") return `a ${String(decision?.point)} decision cannot authorize a tool call`;
    if (decision.effect !== "allow") return `policy decided ${decision.effect} (${decision.rule})`;
    return undefined;
  }
  return "unknown authorization kind";
}
