import type { State } from "../kernel/state.js";
import { callPolicyScope } from "./call-policy-scope.js";
import type { NodeKit } from "../kernel/node-kit.js";

/**
 * The customer-facing text of a decision that survived only as its rule id (a workflow's eligibility in state,
 * a denial at the moment of the effect): the rule's `customer_reason`, rendered with the call's facts as they
 * are now. Undefined when the rule has none or its facts cannot be read: the caller then uses a neutral
 * notice, never the rule's operator `reason`. Wording only: nothing is decided or traced here.
 */
export async function customerReasonOf(
  kit: NodeKit,
  state: State,
  call: { name: string; args: unknown },
  rule: string,
  proposedBy: "model" | "workflow",
): Promise<string | undefined> {
  const { subject, ctx, factsError } = await callPolicyScope(kit, state, call, proposedBy);
  return factsError === undefined ? kit.loaded.policy.customerReason(rule, subject, ctx) : undefined;
}
