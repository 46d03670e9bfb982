import { createPolicyEngine } from "../../src/policy/create-policy-engine.js";
import { loadPolicyEngine } from "../../src/policy/load-policy.js";
import type { EffectPolicy } from "../../src/tools/types.js";

/**
 * A policy that allows every call at every point: for suites about the executor's own mechanics (ledger,
 * retries, idempotency), where the effect-time decision must not be the thing under test.
 */
export function allowAllPolicy(roles: string[] = ["requester"]): EffectPolicy {
  const engine = createPolicyEngine({
    id: "allow-all",
    version: 1,
    description: "Test policy: every point allows.",
    params: { defaults: {} },
    roles: {},
    defaults: { retrieval: "allow", memory_write: "allow", tool_call: "allow", outbound_message: "allow", final_answer: "allow" },
    rules: [],
  });
  return { engine, roles };
}

/** The shipped refunds policy, as a release pins it. */
export async function refundsPolicy(roles: string[] = ["requester"]): Promise<EffectPolicy> {
  return { engine: await loadPolicyEngine("policies/refunds@1.json"), roles };
}
