import type { FastifyInstance } from "fastify";
import { toErrorReply } from "../error-response.js";
import { unencapsulated } from "./unencapsulated.js";

/**
 * One error handler for the whole app: everything thrown becomes `{ error: { code, message, details? } }` with
 * the status from http-status.ts (see error-response.ts). Server faults are logged with their stack and answered
 * with a generic message; client errors are logged at info. Unknown routes are 404 NOT_FOUND in the same shape.
 */
export const errorHandlerPlugin = unencapsulated("warden-error-handler", async (app: FastifyInstance) => {
  app.setErrorHandler(async (error, request, reply) => {
    const mapped = toErrorReply(error);
    if (mapped.serverFault) request.log.error({ err: error }, "request failed");
    else request.log.info({ code: mapped.body.error.code, status: mapped.statusCode }, mapped.body.error.message);
    // Headers set earlier for a success (a content type, a replay marker) must not leak onto the error.
    reply.removeHeader("idempotent-replayed");
    return reply.code(mapped.statusCode).type("application/json; charset=utf-8").send(mapped.body);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split("?")[0] ?? request.url;
    return reply.code(404).send({ error: { code: "NOT_FOUND", message: `No route ${request.method} ${path.slice(0, 200)}.` } });
  });
});
