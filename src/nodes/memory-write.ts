import { createHash } from "node:crypto";
import type { DepsProvider } from "../kernel/deps.js";
import type { MemoryProposal, State, Update } from "../kernel/state.js";
import { nodeKit, type NodeKit } from "../kernel/node-kit.js";

/** Same tenant, run and proposal → same id: a re-run of this step finds its entry instead of adding another. */
export function memoryIdFor(tenant: string, runId: string, proposalId: string): string {
  return "mem_" + createHash("sha256").update(`${tenant}\u0000${runId}\u0000${proposalId}`).digest("hex").slice(0, 24);
}

function traceDenied(kit: NodeKit, proposal: MemoryProposal, subject: string | undefined, rule: string, reason: string): void {
  kit.emit("memory.write", { ...(subject ? { subject } : {}), kind: proposal.kind, effect: "deny", rule, reason, stored: false, proposed_by: proposal.proposed_by });
}

/**
 * Last step before evaluation: writes the memories the run proposed, each through the `memory_write` policy
 * point with the subject's consent as recorded in the database. A denied write stores nothing and is traced
 * (`policy.decision` + `memory.write` with `stored: false`), never dropped silently.
 */
export function createMemoryWriteNode(getDeps: DepsProvider) {
  return async function memoryWrite(state: State): Promise<Update> {
    const proposals = state.memory_proposals ?? [];
    if (proposals.length === 0) return {};
    const kit = await nodeKit(getDeps, state, "memory_write");
    const memory = kit.deps.memory(kit.loaded.policy);
    for (const proposal of proposals) {
      if (!state.subject) {
        traceDenied(kit, proposal, undefined, "no-subject", "The run names no subject, so there is no one to remember this about");
        continue;
      }
      let result;
      try {
        result = await memory.write(
          state.tenant,
          state.subject,
          { kind: proposal.kind, content: proposal.content, sourceRun: state.run_id, memoryId: memoryIdFor(state.tenant, state.run_id, proposal.proposal_id) },
          { actor: state.actor, roles: state.roles },
        );
      } catch (error) {
        // A malformed proposal (bad kind, empty or over-long content) comes from the model: refuse it, keep the run.
        traceDenied(kit, proposal, state.subject, "memory-invalid", error instanceof Error ? error.message : String(error));
        continue;
      }
      const { decision, memory: stored } = result;
      kit.emit("policy.decision", { point: "memory_write", effect: decision.effect, rule: decision.rule, reason: decision.reason, policy: decision.policy, proposed_by: proposal.proposed_by });
      kit.emit("memory.write", {
        subject: state.subject,
        kind: proposal.kind,
        effect: decision.effect === "allow" ? "allow" : "deny",
        rule: decision.rule,
        reason: decision.reason,
        stored: stored !== null,
        ...(stored ? { memory_id: stored.memoryId, expires_at: stored.expiresAt } : {}),
        proposed_by: proposal.proposed_by,
      });
    }
    return {};
  };
}
