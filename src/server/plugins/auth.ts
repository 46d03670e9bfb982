import type { FastifyInstance, FastifyRequest } from "fastify";
import { WardenError } from "../../errors.js";
import type { Queryable } from "../../store/db.js";
import { findApiKey, type ApiKeyRow } from "../../store/api-keys.js";
import { keyIdOf, keyMatchesHash } from "../api-keys.js";
import type { Principal } from "../types.js";
import { unencapsulated } from "./unencapsulated.js";

export interface ApiKeyVerifierOptions {
  /** How long a looked-up key (or its absence) is reused; a revocation takes effect within it. Default 5 s. */
  cacheTtlMs?: number;
  /** Most keys kept (least recently used go first). Default 10,000. */
  cacheSize?: number;
}

/** Turns an Authorization header into a Principal, or throws UNAUTHENTICATED. */
export interface ApiKeyVerifier {
  verify(authorization: string | undefined): Promise<Principal>;
  /** Drops a key from the cache (after revoking it in this process). */
  forget(keyId: string): void;
}

const BEARER = /^Bearer +(\S+) *$/i;
const UNKNOWN_KEY = "The API key is unknown or revoked.";

/**
 * Verifies API keys against the api_keys table, with a small LRU cache so a busy client costs no query per
 * request: entries hold the stored row (hash, tenant, actor, roles) or its absence for `cacheTtlMs`, and every
 * request still compares the presented key with the stored hash in constant time. Concurrent misses for one
 * key share a single lookup.
 */
export function createApiKeyVerifier(db: Queryable, options: ApiKeyVerifierOptions = {}): ApiKeyVerifier {
  const ttlMs = options.cacheTtlMs ?? 5_000;
  const maxEntries = options.cacheSize ?? 10_000;
  const cache = new Map<string, { row: Promise<ApiKeyRow | undefined>; expiresAt: number }>();

  function lookup(keyId: string): Promise<ApiKeyRow | undefined> {
    const now = Date.now();
    const hit = cache.get(keyId);
    if (hit && hit.expiresAt > now) {
      cache.delete(keyId); // re-insert: a Map iterates in insertion sequence, which makes it the LRU list
      cache.set(keyId, hit);
      return hit.row;
    }
    const row = findApiKey(db, keyId);
    cache.delete(keyId);
    cache.set(keyId, { row, expiresAt: now + ttlMs });
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
    // A failed lookup (database down) is not remembered: the next request asks again.
    row.catch(() => cache.delete(keyId));
    return row;
  }

  return {
    async verify(authorization) {
      if (authorization === undefined || authorization === "") {
        throw new WardenError("UNAUTHENTICATED", "Send an API key: Authorization: Bearer <key>.");
      }
      const key = BEARER.exec(authorization)?.[1];
      const keyId = key === undefined ? undefined : keyIdOf(key);
      if (key === undefined || keyId === undefined) {
        throw new WardenError("UNAUTHENTICATED", "The Authorization header must be 'Bearer wdn_<id>_<secret>'.");
      }
      const row = await lookup(keyId);
      if (!row || row.revoked_at !== null || !keyMatchesHash(key, row.key_hash)) throw new WardenError("UNAUTHENTICATED", UNKNOWN_KEY);
      return { tenant: row.tenant_id, actor: row.actor, roles: [...row.roles], keyId: row.key_id };
    },
    forget(keyId) {
      cache.delete(keyId);
    },
  };
}

/** True for routes that need an API key: everything under /v1 that is not marked `config.public`. */
export function needsApiKey(request: FastifyRequest): boolean {
  const url = request.routeOptions.url;
  return url !== undefined && url.startsWith("/v1/") && request.routeOptions.config.public !== true;
}

/**
 * Authenticates every /v1 route in `onRequest` (before the body is read or parsed) and sets
 * `request.principal`. Runs before the rate limit, so the limit counts per verified key.
 */
export const authPlugin = unencapsulated<{ verifier: ApiKeyVerifier }>("warden-auth", async (app: FastifyInstance, options) => {
  app.decorateRequest("principal", undefined);
  app.addHook("onRequest", async (request) => {
    if (!needsApiKey(request)) return;
    const header = request.headers.authorization;
    request.principal = await options.verifier.verify(Array.isArray(header) ? undefined : header);
  });
});
