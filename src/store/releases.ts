import type { Queryable } from "./db.js";

/** The tenant's active release (`active_releases`). */
export interface ActiveReleaseRow {
  tenant_id: string;
  release_id: string;
  activated_by: string;
  activated_at: string;
}

/**
 * How an activation got past the promotion gate: `promotion` (a passing eval of its content), `rollback` (the
 * release was the tenant's before: never blocked) or `forced` (an admin overrode the gate, with a reason).
 */
export type ActivationKind = "promotion" | "rollback" | "forced";

/** One row of the activation audit (`release_activations`). */
export interface ActivationRow extends ActiveReleaseRow {
  kind: ActivationKind;
  /** The release's content hash at the switch; null only when it could not be computed (e.g. no dataset file). */
  content_hash: string | null;
  /** The eval that let it through (a promotion), or the latest eval of that content when there was one. */
  eval_id: string | null;
  reason: string | null;
}

export interface Activation {
  tenant: string;
  releaseId: string;
  activatedBy: string;
  kind: ActivationKind;
  contentHash: string | null;
  evalId: string | null;
  reason: string | null;
}

const ACTIVATION_COLUMNS = "tenant_id, release_id, activated_by, activated_at::text AS activated_at, kind, content_hash, eval_id, reason";

/** The tenant's active release, or undefined when none was ever activated (the configured default applies). */
export async function getActiveRelease(db: Queryable, tenant: string): Promise<ActiveReleaseRow | undefined> {
  const { rows } = await db.query<ActiveReleaseRow>(
    "SELECT tenant_id, release_id, activated_by, activated_at::text AS activated_at FROM active_releases WHERE tenant_id = $1",
    [tenant],
  );
  return rows[0];
}

/**
 * Serialises the tenant's activations until the transaction ends: the gate's reading of the history (is this a
 * rollback?) and the switch then see and write one sequence, and the newest history row is always the active one.
 */
export async function lockTenantActivations(tx: Queryable, tenant: string): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':warden:release-activation:' || $1, 0))", [tenant]);
}

/** Whether the tenant ever activated this release (then activating it again is a rollback). */
export async function wasActivated(db: Queryable, tenant: string, releaseId: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM release_activations WHERE tenant_id = $1 AND release_id = $2 LIMIT 1", [tenant, releaseId]);
  return rows.length > 0;
}

/**
 * Makes the release the tenant's active one and records the activation, in one statement (the audit of
 * promotions, rollbacks and forced switches). Returns the recorded activation.
 */
export async function activateRelease(db: Queryable, activation: Activation): Promise<ActivationRow> {
  const { rows } = await db.query<ActivationRow>(
    `WITH active AS (
       INSERT INTO active_releases (tenant_id, release_id, activated_by) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id) DO UPDATE SET release_id = EXCLUDED.release_id, activated_by = EXCLUDED.activated_by, activated_at = now()
       RETURNING activated_at
     )
     INSERT INTO release_activations (tenant_id, release_id, activated_by, activated_at, kind, content_hash, eval_id, reason)
     SELECT $1, $2, $3, active.activated_at, $4, $5, $6, $7 FROM active
     RETURNING ${ACTIVATION_COLUMNS}`,
    [activation.tenant, activation.releaseId, activation.activatedBy, activation.kind, activation.contentHash, activation.evalId, activation.reason],
  );
  return rows[0]!;
}

/** The tenant's activations, newest first. */
export async function listActivations(db: Queryable, tenant: string, limit = 20): Promise<ActivationRow[]> {
  const { rows } = await db.query<ActivationRow>(
    `SELECT ${ACTIVATION_COLUMNS} FROM release_activations WHERE tenant_id = $1 ORDER BY seq DESC LIMIT $2`,
    [tenant, limit],
  );
  return rows;
}
