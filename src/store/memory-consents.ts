import type { Queryable } from "./db.js";

/** The `memory_consents` table: one row per tenant and subject, the consent as last recorded. */

/** Whether the subject's recorded consent is granted. `lock` holds the row (FOR SHARE) until the transaction ends. */
export async function readConsent(q: Queryable, tenant: string, subject: string, lock = false): Promise<boolean> {
  const { rows } = await q.query<{ granted: boolean }>(
    `SELECT granted FROM memory_consents WHERE tenant_id = $1 AND subject = $2${lock ? " FOR SHARE" : ""}`,
    [tenant, subject],
  );
  return rows[0]?.granted === true;
}

/** Records a subject's consent (granted or withdrawn), by whom and when. */
export async function writeConsent(q: Queryable, tenant: string, subject: string, granted: boolean, actor: string, at: Date): Promise<void> {
  await q.query(
    `INSERT INTO memory_consents (tenant_id, subject, granted, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, subject) DO UPDATE SET granted = EXCLUDED.granted, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
    [tenant, subject, granted, actor, at],
  );
}
