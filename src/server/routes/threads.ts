import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { RouteOptions } from "../types.js";

/** /v1 threads routes (stub while the real routes are written). */
export const threadsRoutes: FastifyPluginAsyncZod<RouteOptions> = async () => {};
