import { randomUUID } from "node:crypto";
import type { Queryable } from "./db.js";

/** Audit actions, as in the `memory_audit.action` check constraint. */
export type MemoryAuditAction = "write" | "correct" | "delete" | "sweep" | "consent_withdrawn";

/** Appends one audit row (who did what to a subject's memory, and how many entries it touched). */
export async function audit(
  q: Queryable,
  entry: { tenant: string; subject: string; memoryId: string | null; action: MemoryAuditAction; actor: string; count: number; at: Date },
): Promise<void> {
  await q.query(
    "INSERT INTO memory_audit (tenant_id, audit_id, subject, memory_id, action, actor, count, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    [entry.tenant, randomUUID(), entry.subject, entry.memoryId, entry.action, entry.actor, entry.count, entry.at],
  );
}
