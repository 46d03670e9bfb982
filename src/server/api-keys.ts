import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { WardenError } from "../errors.js";
import type { Db, Queryable } from "../store/db.js";

/**
 * API keys: `wdn_<key_id>_<secret>`, random, stored only as a SHA-256 hash. The key id (16 hex digits) is
 * public (it names the key in logs, rate limits and revocation); the secret (32 random bytes, base64url)
 * never leaves the response that created the key.
 */
export const ROLES = ["requester", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];

const KEY_FORMAT = /^wdn_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const Identifier = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:@-]+$/, "letters, digits and . _ : @ - only");

/**
 * A key's roles: at least one, each at most once. A repeated role is refused rather than silently merged: it
 * usually means a typo in a script (`requester,requester` where `requester,approver` was meant).
 */
export const RoleListSchema = z
  .array(z.enum(ROLES))
  .min(1)
  .max(ROLES.length)
  .superRefine((roles, context) => {
    const repeated = roles.find((role, index) => roles.indexOf(role) !== index);
    if (repeated !== undefined) context.addIssue({ code: "custom", message: `must not repeat a role ("${repeated}" appears more than once)` });
  });

/** What a key grants: its tenant, the actor it acts as, and its roles. */
export const NewApiKeySchema = z.strictObject({
  tenant: Identifier,
  actor: Identifier,
  roles: RoleListSchema,
});
export type NewApiKey = z.input<typeof NewApiKeySchema>;

/** Validates a key request; throws VALIDATION_FAILED naming each failing field (an unknown or repeated role...). */
export function parseNewApiKey(input: unknown): z.output<typeof NewApiKeySchema> {
  const parsed = NewApiKeySchema.safeParse(input);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
    throw new WardenError("VALIDATION_FAILED", `The API key request is invalid: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}.`, { details });
  }
  return parsed.data;
}

/** A created key: `key` is the only copy of the secret, show it once. */
export interface CreatedApiKey {
  key: string;
  tenant: string;
  actor: string;
  roles: Role[];
}

/** A stored key, as auth needs it (never the secret). */
export interface ApiKeyRow {
  tenant_id: string;
  key_id: string;
  key_hash: string;
  actor: string;
  roles: string[];
  revoked_at: Date | null;
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** The key id of a well-formed key, or undefined: lets auth and rate limiting name a key without a query. */
export function keyIdOf(key: string): string | undefined {
  return KEY_FORMAT.exec(key)?.[1];
}

/** Constant-time comparison of a presented key with a stored hash (equal-length hex digests). */
export function keyMatchesHash(key: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKey(key), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/**
 * Creates a key and stores its hash. Throws VALIDATION_FAILED for an unknown or repeated role or a malformed
 * tenant/actor.
 *
 * @example
 * const { key } = await createApiKey(store.db, { tenant: "acme", actor: "alice", roles: ["requester"] });
 */
export async function createApiKey(db: Queryable, input: NewApiKey): Promise<CreatedApiKey> {
  const { tenant, actor, roles } = parseNewApiKey(input);
  const keyId = randomBytes(8).toString("hex");
  const key = `wdn_${keyId}_${randomBytes(32).toString("base64url")}`;
  await db.query("INSERT INTO api_keys (tenant_id, key_id, key_hash, actor, roles) VALUES ($1, $2, $3, $4, $5::text[])", [
    tenant,
    keyId,
    hashApiKey(key),
    actor,
    roles,
  ]);
  return { key, tenant, actor, roles };
}

/** The stored row of a key id (revoked ones too: auth rejects them), or undefined. */
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

/** The first admin key a new deployment gets: tenant `acme` (the seed's), every role. */
export const BOOTSTRAP_ADMIN: NewApiKey = { tenant: "acme", actor: "admin", roles: ["admin", "requester", "approver"] };

/**
 * Creates the bootstrap admin key when the database has no API key at all, and returns it (undefined when keys
 * exist). An advisory lock makes two servers starting together on one Postgres create at most one.
 */
export async function bootstrapAdminKey(db: Db, input: NewApiKey = BOOTSTRAP_ADMIN): Promise<CreatedApiKey | undefined> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':warden:bootstrap-key'))");
    const { rows } = await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM api_keys");
    if ((rows[0]?.n ?? 0) > 0) return undefined;
    return createApiKey(tx, input);
  });
}
