import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import { WardenError } from "../../errors.js";
import { unencapsulated } from "./unencapsulated.js";

export interface RateLimitOptions {
  /** Requests per window per API key (per IP for requests without a verified key). */
  max: number;
  /** Window length in milliseconds. */
  timeWindow: number;
}

/**
 * Helmet's security headers on every response, and a rate limit per API key on every non-public route.
 * The limit runs after auth (route-level hooks follow the app-level auth hook), so it counts verified keys: a
 * client cannot dodge it by inventing key ids. Public routes (health, metrics, docs) are not limited.
 */
export const securityPlugin = unencapsulated<{ rateLimit: RateLimitOptions | false }>("warden-security", async (app: FastifyInstance, options) => {
  // Helmet's default CSP allows the same-origin scripts and styles Swagger UI (/docs) loads. Without
  // upgrade-insecure-requests: on plain http (the 127.0.0.1 default) it would send /docs' assets to https.
  await app.register(helmet, { global: true, contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
  if (options.rateLimit === false) return;
  await app.register(rateLimit, {
    global: true,
    max: options.rateLimit.max,
    timeWindow: options.rateLimit.timeWindow,
    keyGenerator: (request) => (request.principal ? `key:${request.principal.keyId}` : `ip:${request.ip}`),
    allowList: (request) => request.routeOptions.config.public === true,
    errorResponseBuilder: (_request, context) =>
      new WardenError("RATE_LIMITED", `Too many requests for this API key; retry in ${context.after}.`, {
        details: { limit: context.max, retry_after_seconds: Math.ceil(context.ttl / 1000) },
      }),
  });
});
