import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { RouteOptions } from "../types.js";

/** /v1 runs routes (stub while the real routes are written). */
export const runsRoutes: FastifyPluginAsyncZod<RouteOptions> = async () => {};
