import type { Queryable } from "./db.js";

/** Whether one of the tenant's runs is on the thread: a thread belongs to the tenants of its runs (invariant 4). */
export async function threadHasRunOfTenant(db: Queryable, tenant: string, threadId: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM runs WHERE tenant_id = $1 AND thread_id = $2 LIMIT 1", [tenant, threadId]);
  return rows.length > 0;
}
