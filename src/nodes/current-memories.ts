import type { MemoryFact, State } from "../kernel/state.js";
import { WardenError } from "../errors.js";
import type { NodeKit } from "../kernel/node-kit.js";

/**
 * The run's memories as they stand now. `memory_read` fetched them when the run started, but a run can wait
 * for an approval for days: a withdrawn consent, an erased or corrected entry must not live on in the turns
 * after the resume. So every later agent turn reads the subject's entries again (one query, only when the run
 * holds memories) and keeps those that still exist, with their current content. A read that policy now denies
 * leaves the run with none.
 */
export async function currentMemories(kit: NodeKit, state: State): Promise<MemoryFact[] | undefined> {
  const held = state.memories ?? [];
  if (!state.subject || held.length === 0) return undefined;
  let fresh: Map<string, { content: string; kind: string }>;
  let effect: "allow" | "deny" = "allow";
  try {
    const read = await kit.deps.memory(kit.loaded.policy).read(state.tenant, state.subject, { actor: state.actor, roles: state.roles });
    fresh = new Map(read.memories.map((entry) => [entry.memoryId, { content: entry.content, kind: entry.kind }]));
  } catch (error) {
    if (!(error instanceof WardenError && error.code === "POLICY_DENIED")) throw error;
    fresh = new Map();
    effect = "deny";
  }
  const kept = held.flatMap((entry) => {
    const now = fresh.get(entry.memory_id);
    return now ? [{ ...entry, kind: now.kind, content: now.content }] : [];
  });
  const unchanged = kept.length === held.length && kept.every((entry, index) => entry.content === held[index]?.content);
  if (unchanged) return undefined;
  kit.emit("memory.read", {
    subject: state.subject,
    effect,
    rule: "revalidated",
    count: kept.length,
    memory_ids: kept.map((entry) => entry.memory_id),
    kinds: [...new Set(kept.map((entry) => entry.kind))],
    dropped: held.length - kept.length,
  });
  return kept;
}
