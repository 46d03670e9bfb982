import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { WardenError } from "../../errors.js";
import type { Queryable } from "../../store/db.js";
import { principalOf, type IdempotencyHandle } from "../types.js";
import {
  abandonIdempotencyKey,
  claimIdempotencyKey,
  completeIdempotencyKey,
  readIdempotencyKey,
  type IdempotencyClaim,
} from "../../store/idempotency.js";
import { unencapsulated } from "./unencapsulated.js";
import { canonicalJson } from "../../contracts/canonical-json.js";

export interface IdempotencyOptions {
  db: Queryable;
  /** How long a completed response is replayed. Default 24 h. */
  ttlMs?: number;
  /**
   * How long an in-flight claim blocks its key when its request never finishes (the process died): after it,
   * a retry may run. Default 10 min, longer than any run should take.
   */
  inFlightTtlMs?: number;
}

export const IDEMPOTENCY_HEADER = "idempotency-key";
export const REPLAYED_HEADER = "idempotent-replayed";
const PRINTABLE_ASCII = /^[\x20-\x7e]{1,255}$/;

/** Method, path (with query) and canonical body: what "the same request" means for an Idempotency-Key. */
export function requestHashOf(method: string, url: string, body: unknown): string {
  // JSON with sorted keys, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request; no body hashes as "".
  const canonicalBody = body === undefined ? "" : canonicalJson(body);
  return createHash("sha256").update(`${method}\n${url}\n${canonicalBody}`).digest("hex");
}

interface IdempotencyState {
  key: string;
  requestHash: string;
  claim?: IdempotencyClaim;
  /** Set once the outcome was recorded or the claim given up (by this plugin or by a hijacking route). */
  settled: boolean;
}

const stateOf = new WeakMap<FastifyRequest, IdempotencyState>();

function headerKey(request: FastifyRequest): string | undefined {
  const raw = request.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || !PRINTABLE_ASCII.test(raw)) {
    throw new WardenError("VALIDATION_FAILED", "The Idempotency-Key header must be 1 to 255 printable ASCII characters.", {
      details: [{ path: "headers.idempotency-key", message: "must be 1 to 255 printable ASCII characters" }],
    });
  }
  return raw;
}

/**
 * Stripe-style Idempotency-Key on routes with `config.idempotent`, scoped per tenant:
 * - the same key and the same request (method, path, canonical body) replays the first response byte for byte
 *   (status, body, content type) with `Idempotent-Replayed: true`, running nothing;
 * - the same key with a different request is 422 IDEMPOTENCY_MISMATCH;
 * - the same key while the first request still runs is 409 IDEMPOTENCY_IN_FLIGHT, except on routes with
 *   `idempotent: "resource"`, whose handler finds the resource the key made (a run) and answers its state;
 * - a 202 (still in progress) is not recorded, so a retry learns the outcome.
 * A request that fails validation claims nothing. Responses under 500 are recorded in `onSend`; a 5xx, or a
 * request that never answered, releases the key so a retry runs again. Routes that hijack the reply (SSE)
 * record their own outcome through `request.idempotency`.
 */
export const idempotencyPlugin = unencapsulated<IdempotencyOptions>("warden-idempotency", async (app: FastifyInstance, options) => {
  const ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
  const inFlightTtlMs = options.inFlightTtlMs ?? 10 * 60 * 1000;
  const { db } = options;
  app.decorateRequest("idempotency", undefined);

  async function settle(request: FastifyRequest, state: IdempotencyState, outcome: { statusCode: number; body: string; contentType: string } | "abandon") {
    if (state.settled || !state.claim) return;
    state.settled = true;
    try {
      if (outcome === "abandon") await abandonIdempotencyKey(db, state.claim);
      else await completeIdempotencyKey(db, state.claim, { ...outcome, ttlMs });
    } catch (error) {
      // The response still goes out; the in-flight row expires after inFlightTtlMs.
      request.log.error({ err: error }, "could not record the idempotency key's outcome");
    }
  }

  // Hashed before validation: the raw body, so fields a schema would strip still make a request different.
  app.addHook("preValidation", async (request) => {
    if (!request.routeOptions.config.idempotent) return;
    const key = headerKey(request);
    if (key === undefined) return;
    stateOf.set(request, { key, requestHash: requestHashOf(request.method, request.url, request.body), settled: false });
  });

  app.addHook("preHandler", async (request, reply) => {
    const state = stateOf.get(request);
    if (!state) return;
    const { tenant } = principalOf(request);
    // Two rounds: a row abandoned between our failed claim and our read can be claimed on the second.
    for (let round = 0; round < 2; round++) {
      const claim = await claimIdempotencyKey(db, { tenant, key: state.key, requestHash: state.requestHash, inFlightTtlMs });
      if (claim) {
        state.claim = claim;
        request.idempotency = handleFor(request, state);
        return;
      }
      const existing = await readIdempotencyKey(db, tenant, state.key);
      if (!existing) continue;
      if (existing.request_hash !== state.requestHash) {
        throw new WardenError("IDEMPOTENCY_MISMATCH", "This Idempotency-Key was used with a different request; use a new key for a new request.");
      }
      if (existing.status === "in_flight") {
        // A route whose handler is idempotent by itself (the run with this key, the approver's own decision) answers
        // the truth: the run as it is, or its outcome once it has one. The first request (or, after its process died,
        // the first retry once the claim expires) records the response; this one records nothing.
        if (request.routeOptions.config.idempotent === "resource") {
          stateOf.delete(request);
          return;
        }
        throw new WardenError("IDEMPOTENCY_IN_FLIGHT", "A request with this Idempotency-Key is still running; retry when it has finished.");
      }
      stateOf.delete(request);
      return replay(reply, existing.response_status ?? 200, existing.response_body ?? "", existing.content_type);
    }
    throw new WardenError("IDEMPOTENCY_IN_FLIGHT", "A request with this Idempotency-Key is changing hands; retry shortly.");
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const state = stateOf.get(request);
    if (!state || state.settled || !state.claim) return payload;
    const body = typeof payload === "string" ? payload : Buffer.isBuffer(payload) ? payload.toString("utf8") : undefined;
    // 202: the run is still in progress; a retry must learn its outcome, not replay "in progress".
    if (reply.statusCode >= 500 || reply.statusCode === 202 || body === undefined) {
      await settle(request, state, "abandon");
    } else {
      const contentType = String(reply.getHeader("content-type") ?? "application/json; charset=utf-8");
      await settle(request, state, { statusCode: reply.statusCode, body, contentType });
    }
    return payload;
  });

  // Safety net for hijacked replies whose route neither completed nor abandoned.
  app.addHook("onResponse", async (request) => {
    const state = stateOf.get(request);
    if (state && !state.settled) await settle(request, state, "abandon");
  });

  function handleFor(request: FastifyRequest, state: IdempotencyState): IdempotencyHandle {
    return {
      complete: (statusCode, body, contentType = "application/json; charset=utf-8") =>
        statusCode >= 500 || statusCode === 202 ? settle(request, state, "abandon") : settle(request, state, { statusCode, body, contentType }),
      abandon: () => settle(request, state, "abandon"),
    };
  }
});

function replay(reply: FastifyReply, statusCode: number, body: string, contentType: string | null): FastifyReply {
  reply.code(statusCode).header(REPLAYED_HEADER, "true");
  reply.header("content-type", contentType ?? "application/json; charset=utf-8");
  return reply.send(body);
}
