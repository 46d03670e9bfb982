import type { FastifyInstance } from "fastify";

/**
 * The path prefix a route plugin adds itself so its routes land under `/v1` whether the app registers it with
 * `{ prefix: "/v1" }` or without a prefix.
 */
export function v1Base(app: Pick<FastifyInstance, "prefix">): string {
  return app.prefix.endsWith("/v1") ? "" : "/v1";
}
