import type { Queryable } from "./db.js";

export interface ActivationRow {
  tenant_id: string;
  release_id: string;
  activated_by: string;
  activated_at: string;
}

/** The tenant's active release, or undefined when none was ever activated (the configured default applies). */
export async function getActiveRelease(db: Queryable, tenant: string): Promise<ActivationRow | undefined> {
  const { rows } = await db.query<ActivationRow>(
    "SELECT tenant_id, release_id, activated_by, activated_at::text AS activated_at FROM active_releases WHERE tenant_id = $1",
    [tenant],
  );
  return rows[0];
}

/** Makes `releaseId` the tenant's active release and records the activation (the audit of rollbacks). */
export async function activateRelease(db: Queryable, tenant: string, releaseId: string, activatedBy: string): Promise<ActivationRow> {
  const { rows } = await db.query<ActivationRow>(
    `WITH history AS (INSERT INTO release_activations (tenant_id, release_id, activated_by) VALUES ($1, $2, $3))
     INSERT INTO active_releases (tenant_id, release_id, activated_by) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET release_id = EXCLUDED.release_id, activated_by = EXCLUDED.activated_by, activated_at = now()
     RETURNING tenant_id, release_id, activated_by, activated_at::text AS activated_at`,
    [tenant, releaseId, activatedBy],
  );
  return rows[0]!;
}

/** The tenant's activations, newest first. */
export async function listActivations(db: Queryable, tenant: string, limit = 20): Promise<ActivationRow[]> {
  const { rows } = await db.query<ActivationRow>(
    `SELECT tenant_id, release_id, activated_by, activated_at::text AS activated_at FROM release_activations
     WHERE tenant_id = $1 ORDER BY seq DESC LIMIT $2`,
    [tenant, limit],
  );
  return rows;
}
