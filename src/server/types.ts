import { WardenError } from "../errors.js";
import type { Runtime } from "../runtime/create-runtime.js";

/** Who is calling: fixed by the API key, never by the request body. */
export interface Principal {
  tenant: string;
  actor: string;
  roles: string[];
  keyId: string;
}

/** Hooks the idempotency plugin gives a route that streams (hijacks the reply) so it can record the outcome. */
export interface IdempotencyHandle {
  /** Stores the response to replay for later requests with the same key and body. */
  complete(statusCode: number, body: string, contentType?: string): Promise<void>;
  /** Forgets the key (e.g. the stream broke before a result): a retry runs again. */
  abandon(): Promise<void>;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the auth plugin on every /v1 route. */
    principal?: Principal;
    /** Set by the idempotency plugin when the request carries an Idempotency-Key on an idempotent route. */
    idempotency?: IdempotencyHandle;
  }
  interface FastifyContextConfig {
    /**
     * Honour the Idempotency-Key header on this route (Stripe semantics). `"resource"`: the handler itself is
     * idempotent for the key (it finds what the first request made), so a retry while the first request is still in
     * flight runs it instead of getting 409.
     */
    idempotent?: boolean | "resource";
    /** Skip API-key auth (health, readiness, metrics, docs). */
    public?: boolean;
  }
}

/** Options every route plugin receives. */
export interface RouteOptions {
  runtime: Runtime;
}

/** The caller's principal; throws UNAUTHENTICATED when auth did not run (a wiring bug, never a client's). */
export function principalOf(request: { principal?: Principal }): Principal {
  if (!request.principal) throw new WardenError("UNAUTHENTICATED", "This route needs an API key.");
  return request.principal;
}

/** Throws FORBIDDEN (403) unless the caller's key holds `role` (admin holds every role). */
export function requireRole(request: { principal?: Principal }, role: "requester" | "approver" | "admin"): Principal {
  const principal = principalOf(request);
  if (!principal.roles.includes(role) && !principal.roles.includes("admin")) {
    throw new WardenError("FORBIDDEN", `This route needs the ${role} role.`);
  }
  return principal;
}
