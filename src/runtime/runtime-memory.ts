import { sweepMemories, type Memory } from "../memory/create-memory.js";
import type { GraphDeps } from "../kernel/deps.js";
import type { ReleaseCatalog } from "./release-catalog.js";

/** Who acts on memory: from the API key (server) or the CLI. */
export interface MemoryCaller {
  actor: string;
  roles: string[];
}

/**
 * Memory as the API and the CLI see it. Policy comes from the tenant's active release, so a rollback of the
 * release also rolls back its memory rules. Every call is scoped by tenant: another tenant's subject is empty
 * and another tenant's entry is MEMORY_NOT_FOUND, exactly like an unknown one.
 */
export interface RuntimeMemory {
  /** The subject's unexpired entries, after the `retrieval` point allowed it. @throws POLICY_DENIED */
  list(tenant: string, subject: string, caller: MemoryCaller): Promise<{ memories: Memory[]; consent: boolean }>;
  /** Grants or withdraws consent; withdrawing hard-deletes the subject's entries (audited). */
  setConsent(tenant: string, subject: string, granted: boolean, caller: MemoryCaller): Promise<{ granted: boolean; deleted: number }>;
  /** Corrects one entry of `subject` (audited). @throws MEMORY_NOT_FOUND */
  correct(tenant: string, subject: string, memoryId: string, content: string, caller: MemoryCaller): Promise<Memory>;
  /** Hard-deletes every entry of `subject` (audited: who, when, how many). */
  deleteSubject(tenant: string, subject: string, caller: MemoryCaller): Promise<{ deleted: number }>;
  /** Hard-deletes one entry of `subject` (audited). @throws MEMORY_NOT_FOUND */
  deleteOne(tenant: string, subject: string, memoryId: string, caller: MemoryCaller): Promise<{ deleted: number }>;
  /** The retention sweep over every tenant. */
  sweep(at?: Date): Promise<{ deleted: number }>;
}

export function createRuntimeMemory(deps: GraphDeps, releases: ReleaseCatalog): RuntimeMemory {
  async function serviceFor(tenant: string) {
    const loaded = await deps.release(await releases.resolve(tenant));
    return deps.memory(loaded.policy);
  }
  return {
    async list(tenant, subject, caller) {
      const memory = await serviceFor(tenant);
      const { memories } = await memory.read(tenant, subject, caller);
      return { memories, consent: await memory.hasConsent(tenant, subject) };
    },
    async setConsent(tenant, subject, granted, caller) {
      const memory = await serviceFor(tenant);
      if (granted) {
        await memory.grantConsent(tenant, subject, caller.actor);
        return { granted, deleted: 0 };
      }
      return { granted, ...(await memory.withdrawConsent(tenant, subject, caller.actor)) };
    },
    correct: async (tenant, subject, memoryId, content, caller) => (await serviceFor(tenant)).correct(tenant, memoryId, content, caller.actor, subject),
    deleteSubject: async (tenant, subject, caller) => (await serviceFor(tenant)).deleteSubject(tenant, subject, caller.actor),
    deleteOne: async (tenant, subject, memoryId, caller) => (await serviceFor(tenant)).deleteOne(tenant, memoryId, caller.actor, subject),
    // The sweep needs no policy: retention was fixed into expires_at when each entry was written.
    sweep: (at) => sweepMemories(deps.db, at),
  };
}
