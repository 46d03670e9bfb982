import type { Queryable, Transaction } from "./db.js";

/** API keys table access. Keys are stored only as a hash; the key id is public. */
export interface ApiKeyRow {
  tenant_id: string;
  key_id: string;
  key_hash: string;
  actor: string;
  roles: string[];
  revoked_at: Date | null;
}

export async function insertApiKey(db: Queryable, key: { tenant: string; keyId: string; keyHash: string; actor: string; roles: readonly string[] }): Promise<void> {
  await db.query("INSERT INTO api_keys (tenant_id, key_id, key_hash, actor, roles) VALUES ($1, $2, $3, $4, $5::text[])", [
    key.tenant,
    key.keyId,
    key.keyHash,
    key.actor,
    key.roles,
  ]);
}

/** The stored row of a key id (revoked ones too: auth rejects them), or undefined. Key ids are unique across tenants. */
export async function findApiKey(db: Queryable, keyId: string): Promise<ApiKeyRow | undefined> {
  const { rows } = await db.query<ApiKeyRow>(
    "SELECT tenant_id, key_id, key_hash, actor, roles, revoked_at FROM api_keys WHERE key_id = $1",
    [keyId],
  );
  return rows[0];
}

/** Revokes a key of `tenant` (another tenant's key id is "not found"). Returns whether a live key was revoked. */
export async function revokeApiKey(db: Queryable, tenant: string, keyId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    "UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL",
    [tenant, keyId],
  );
  return rowCount === 1;
}

/**
 * Takes the bootstrap key's advisory lock (until the transaction ends) and counts the keys of every tenant: two
 * servers starting together on one Postgres see each other's bootstrap key.
 */
export async function countApiKeysLocked(tx: Transaction): Promise<number> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':warden:bootstrap-key'))");
  const { rows } = await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM api_keys");
  return rows[0]?.n ?? 0;
}
