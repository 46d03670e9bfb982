import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { AUTHENTICATED_ERRORS, errorResponses, ThreadParamsSchema } from "../schemas/common.js";
import { ThreadHistoryQuerySchema, ThreadHistorySchema, ThreadStateSchema } from "../schemas/thread.js";
import { principalOf, type RouteOptions } from "../types.js";
import { v1Base } from "./base-path.js";

/** /v1/threads: a thread's current checkpoint and its history. Another tenant's thread is a 404. */
export const threadsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { runtime }) => {
  const base = v1Base(app);

  app.get(
    `${base}/threads/:thread_id/state`,
    {
      schema: {
        tags: ["threads"],
        summary: "Read a thread's current state",
        params: ThreadParamsSchema,
        response: { 200: ThreadStateSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 404) },
      },
    },
    async (request) => runtime.threadState(principalOf(request).tenant, request.params.thread_id),
  );

  app.get(
    `${base}/threads/:thread_id/history`,
    {
      schema: {
        tags: ["threads"],
        summary: "Read a thread's checkpoints, newest first",
        params: ThreadParamsSchema,
        querystring: ThreadHistoryQuerySchema,
        response: { 200: ThreadHistorySchema, ...errorResponses(...AUTHENTICATED_ERRORS, 404) },
      },
    },
    async (request) => ({ states: await runtime.threadHistory(principalOf(request).tenant, request.params.thread_id, request.query.limit) }),
  );
};
