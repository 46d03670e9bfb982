import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { WardenError } from "../errors.js";
import { countApiKeysLocked, insertApiKey } from "../store/api-keys.js";
import type { Db, Queryable } from "../store/db.js";
import { API_KEY_PATTERN, IdentifierSchema } from "../contracts/identifiers.js";

/**
 * API keys: `wdn_<key_id>_<secret>`, random, stored only as a SHA-256 hash. The key id (16 hex digits) is
 * public (it names the key in logs, rate limits and revocation); the secret (32 random bytes, base64url)
 * never leaves the response that created the key.
 */
export const ROLES = ["requester", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];


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
  tenant: IdentifierSchema,
  actor: IdentifierSchema,
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

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** The key id of a well-formed key, or undefined: lets auth and rate limiting name a key without a query. */
export function keyIdOf(key: string): string | undefined {
  return API_KEY_PATTERN.exec(key)?.[1];
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
  await insertApiKey(db, { tenant, keyId, keyHash: hashApiKey(key), actor, roles });
  return { key, tenant, actor, roles };
}

/** The first admin key a new deployment gets: tenant `acme` (the seed's), every role. */
export const BOOTSTRAP_ADMIN: NewApiKey = { tenant: "acme", actor: "admin", roles: ["admin", "requester", "approver"] };

/**
 * Creates the bootstrap admin key when the database has no API key at all, and returns it (undefined when keys
 * exist). An advisory lock makes two servers starting together on one Postgres create at most one.
 */
export async function bootstrapAdminKey(db: Db, input: NewApiKey = BOOTSTRAP_ADMIN): Promise<CreatedApiKey | undefined> {
  return db.transaction(async (tx) => {
    if ((await countApiKeysLocked(tx)) > 0) return undefined;
    return createApiKey(tx, input);
  });
}
