import type { FastifyInstance } from "fastify";
import { WardenError } from "../../errors.js";
import { unencapsulated } from "./unencapsulated.js";

/**
 * During a graceful stop, a request that arrives on a connection still open (keep-alive) is refused with 503
 * in the API's error shape, and answered with `Connection: close` so the client reconnects elsewhere; requests
 * already running finish normally. (Fastify's own 503 for this case has another body shape: it is turned off
 * with `return503OnClosing: false`.)
 */
export const drainingPlugin = unencapsulated("warden-draining", async (app: FastifyInstance) => {
  let draining = false;
  app.addHook("preClose", async () => {
    draining = true;
  });
  app.addHook("onRequest", async (_request, reply) => {
    if (!draining) return;
    reply.header("connection", "close");
    throw new WardenError("STORE_UNAVAILABLE", "The server is shutting down; retry the request.");
  });
  app.addHook("onSend", async (_request, reply, payload) => {
    if (draining) reply.header("connection", "close");
    return payload;
  });
});
