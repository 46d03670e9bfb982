import type { Db } from "../store/db.js";
import { deleteExpiredMemories } from "../store/memories.js";
import { audit } from "../store/memory-audit.js";

/** Actor recorded for retention sweeps. */
export const SWEEP_ACTOR = "system:retention-sweep";

/**
 * Deletes memories expired at `at` in every tenant, with one audit row (actor {@link SWEEP_ACTOR}) per tenant
 * and subject. Needs no policy: the retention period was fixed into `expires_at` when the entry was written.
 * Used by `warden memory sweep` (and meant for the server's timer).
 */
export async function sweepMemories(db: Db, at: Date = new Date()): Promise<{ deleted: number }> {
  return db.transaction(async (tx) => {
    const rows = await deleteExpiredMemories(tx, at);
    const groups = new Map<string, { tenant: string; subject: string; count: number }>();
    for (const row of rows) {
      const key = JSON.stringify([row.tenant_id, row.subject]);
      const group = groups.get(key) ?? { tenant: row.tenant_id, subject: row.subject, count: 0 };
      group.count += 1;
      groups.set(key, group);
    }
    for (const group of groups.values()) {
      await audit(tx, { ...group, memoryId: null, action: "sweep", actor: SWEEP_ACTOR, at });
    }
    return { deleted: rows.length };
  });
}
