import { randomUUID } from "node:crypto";
import type { Queryable } from "./db.js";

/** One Idempotency-Key record (table idempotency_keys), scoped per tenant. */
export interface IdempotencyRow {
  tenant_id: string;
  key: string;
  request_hash: string;
  status: "in_flight" | "completed";
  response_status: number | null;
  response_body: string | null;
  content_type: string | null;
}

/** A won claim: its id guards the later complete/abandon against a newer claim of the same key. */
export interface IdempotencyClaim {
  tenant: string;
  key: string;
  claimId: string;
}

/**
 * Claims `key` for a new request with one statement: inserts an in-flight row, or takes over a row whose time
 * is up (a completed record past its retention, or an in-flight claim whose request died). Of two concurrent
 * claims exactly one gets a row back: the other conflicts and, after the winner's row lock, sees it unexpired.
 */
export async function claimIdempotencyKey(
  db: Queryable,
  input: { tenant: string; key: string; requestHash: string; inFlightTtlMs: number },
): Promise<IdempotencyClaim | undefined> {
  const claimId = randomUUID();
  const { rows } = await db.query(
    `INSERT INTO idempotency_keys (tenant_id, key, request_hash, status, claim_id, expires_at)
     VALUES ($1, $2, $3, 'in_flight', $4, now() + make_interval(secs => $5::double precision))
     ON CONFLICT (tenant_id, key) DO UPDATE
       SET request_hash = EXCLUDED.request_hash, status = 'in_flight', claim_id = EXCLUDED.claim_id,
           response_status = NULL, response_body = NULL, content_type = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
       WHERE idempotency_keys.expires_at <= now()
     RETURNING key`,
    [input.tenant, input.key, input.requestHash, claimId, input.inFlightTtlMs / 1000],
  );
  return rows.length === 1 ? { tenant: input.tenant, key: input.key, claimId } : undefined;
}

/** The live (unexpired) record of a key, or undefined. */
export async function readIdempotencyKey(db: Queryable, tenant: string, key: string): Promise<IdempotencyRow | undefined> {
  const { rows } = await db.query<IdempotencyRow>(
    `SELECT tenant_id, key, request_hash, status, response_status, response_body, content_type
     FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND expires_at > now()`,
    [tenant, key],
  );
  return rows[0];
}

/** Stores the response of a claim, kept for `ttlMs` from now. False when the claim is no longer ours. */
export async function completeIdempotencyKey(
  db: Queryable,
  claim: IdempotencyClaim,
  response: { statusCode: number; body: string; contentType: string; ttlMs: number },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE idempotency_keys
     SET status = 'completed', response_status = $4, response_body = $5, content_type = $6,
         expires_at = now() + make_interval(secs => $7::double precision)
     WHERE tenant_id = $1 AND key = $2 AND claim_id = $3 AND status = 'in_flight'`,
    [claim.tenant, claim.key, claim.claimId, response.statusCode, response.body, response.contentType, response.ttlMs / 1000],
  );
  return rowCount === 1;
}

/** Forgets an in-flight claim (the request failed with a 5xx or never answered): a retry runs again. */
export async function abandonIdempotencyKey(db: Queryable, claim: IdempotencyClaim): Promise<void> {
  await db.query("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND claim_id = $3 AND status = 'in_flight'", [
    claim.tenant,
    claim.key,
    claim.claimId,
  ]);
}

/** Deletes expired records (every tenant). Returns how many went. */
export async function sweepIdempotencyKeys(db: Queryable): Promise<number> {
  const { rowCount } = await db.query("DELETE FROM idempotency_keys WHERE expires_at <= now()");
  return rowCount;
}
