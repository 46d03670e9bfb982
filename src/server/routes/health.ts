import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { WardenError } from "../../errors.js";
import { migrationsApplied, migrationsOf } from "../../store/migrate.js";
import { ErrorResponseSchema } from "../schemas/common.js";
import type { RouteOptions } from "../types.js";

/** How long readiness waits for the database before calling it unavailable (a hung pool must not hang probes). */
const READY_TIMEOUT_MS = 2_000;

async function databaseReady(check: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** GET /healthz (the process answers) and GET /readyz (the database answers and every migration is applied). */
export const healthRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { runtime }) => {
  app.get(
    "/healthz",
    {
      config: { public: true },
      schema: { tags: ["health"], summary: "Liveness: the process answers.", security: [], response: { 200: z.object({ status: z.literal("ok") }) } },
    },
    async () => ({ status: "ok" as const }),
  );

  app.get(
    "/readyz",
    {
      config: { public: true },
      schema: {
        tags: ["health"],
        summary: "Readiness: the database answers and migrations are applied (503 STORE_UNAVAILABLE otherwise).",
        security: [],
        response: { 200: z.object({ status: z.literal("ready") }), 503: ErrorResponseSchema },
      },
    },
    async () => {
      if (!(await databaseReady(() => migrationsApplied(runtime.store.db, migrationsOf(runtime.deps.composition.packs))))) {
        throw new WardenError("STORE_UNAVAILABLE", "The database does not answer or its migrations are not applied.");
      }
      return { status: "ready" as const };
    },
  );
};
