import type { DepsProvider } from "../kernel/deps.js";
import type { MemoryFact, State, Update } from "../kernel/state.js";
import { WardenError } from "../errors.js";
import type { Decision } from "../policy/types.js";
import { nodeKit } from "../kernel/node-kit.js";

/**
 * Reads the subject's long-term memory through the `retrieval` policy point before either path starts, so the
 * agent and the workflow both begin with it. A denied read is traced and the run goes on without memory:
 * memory is context, never a reason to fail a request.
 */
export function createMemoryReadNode(getDeps: DepsProvider) {
  return async function memoryRead(state: State): Promise<Update> {
    if (!state.subject) return {};
    const kit = await nodeKit(getDeps, state, "memory_read");
    const ctx = { actor: state.actor, roles: state.roles };
    let decision: Decision;
    let memories: MemoryFact[] = [];
    try {
      const read = await kit.deps.memory(kit.loaded.policy).read(state.tenant, state.subject, ctx);
      decision = read.decision;
      memories = read.memories.map((entry) => ({ memory_id: entry.memoryId, kind: entry.kind, content: entry.content, created_at: entry.createdAt }));
    } catch (error) {
      const denied = error instanceof WardenError && error.code === "POLICY_DENIED" ? (error.details as { decision?: Decision } | undefined)?.decision : undefined;
      if (!denied) throw error;
      decision = denied;
    }
    kit.emit("policy.decision", { point: "retrieval", effect: decision.effect, rule: decision.rule, reason: decision.reason, policy: decision.policy, proposed_by: "runtime" });
    kit.emit("memory.read", {
      subject: state.subject,
      effect: decision.effect === "allow" ? "allow" : "deny",
      rule: decision.rule,
      count: memories.length,
      memory_ids: memories.map((entry) => entry.memory_id),
      kinds: [...new Set(memories.map((entry) => entry.kind))],
    });
    return memories.length > 0 ? { memories } : {};
  };
}
