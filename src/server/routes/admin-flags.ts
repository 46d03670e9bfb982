import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { flagKey, FlagInputSchema } from "../../runtime/flag-input.js";
import { FLAG_KINDS } from "../../store/flags.js";
import { AUTHENTICATED_ERRORS, errorResponses } from "../schemas/common.js";
import { requireRole, type RouteOptions } from "../types.js";

const FlagSchema = z
  .object({
    tenant_id: z.string().describe('The tenant, or "*" for a global switch (set by an operator through the CLI).'),
    kind: z.enum(FLAG_KINDS),
    target: z.string(),
    mode: z.string().nullable(),
    reason: z.string().nullable(),
    set_by: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Flag" });

const FlagListSchema = z.object({ flags: z.array(FlagSchema) });

/**
 * Rollback switches of the admin's tenant. A switch acts on every process within a second, including runs
 * already waiting for an approval. Global switches (tenant "*") are listed but only an operator sets them
 * (`npx warden flags set --global`): one tenant's admin never switches another's runtime.
 */
export const adminFlagsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { runtime }) => {
  app.get(
    "/v1/admin/flags",
    {
      schema: {
        tags: ["admin"],
        summary: "List the rollback switches that apply to your tenant (admin).",
        response: { 200: FlagListSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403) },
      },
    },
    async (request) => {
      const admin = requireRole(request, "admin");
      return { flags: await runtime.flags.list(admin.tenant, true) };
    },
  );

  app.put(
    "/v1/admin/flags",
    {
      schema: {
        tags: ["admin"],
        summary: "Set or clear a rollback switch of your tenant (admin).",
        body: FlagInputSchema,
        response: { 200: FlagListSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 413, 415) },
      },
    },
    async (request) => {
      const admin = requireRole(request, "admin");
      const input = request.body;
      const { target, mode } = flagKey(input);
      if (input.disabled) await runtime.flags.set({ tenant: admin.tenant, kind: input.kind, target, mode, reason: input.reason ?? null, setBy: admin.actor });
      else await runtime.flags.clear(admin.tenant, input.kind, target);
      request.log.info({ kind: input.kind, target, disabled: input.disabled }, "flag changed");
      return { flags: await runtime.flags.list(admin.tenant, true) };
    },
  );
};
