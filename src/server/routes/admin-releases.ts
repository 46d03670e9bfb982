import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { AUTHENTICATED_ERRORS, errorResponses, IdentifierSchema } from "../schemas/common.js";
import { requireRole, type RouteOptions } from "../types.js";

const ActiveReleaseSchema = z
  .object({
    tenant: z.string(),
    release_id: z.string(),
    source: z.enum(["activated", "default"]).describe("default: none activated yet, the server's WARDEN_RELEASE."),
    activated_by: z.string().optional(),
    activated_at: z.string().optional(),
  })
  .meta({ id: "ActiveRelease" });

const ReleaseListSchema = z.object({
  active: ActiveReleaseSchema,
  releases: z.array(z.object({ id: z.string(), description: z.string().optional(), prompt: z.string(), policy: z.string(), workflow: z.string(), tools: z.array(z.string()) })),
  history: z.array(z.object({ release_id: z.string(), activated_by: z.string(), activated_at: z.string() })).describe("Activations, newest first."),
});

/**
 * The releases a tenant may run and the active one. PUT /v1/admin/releases/active switches it: the next run
 * of the tenant (in any process) uses it. Activating the previous release is the rollback.
 */
export const adminReleasesRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { runtime }) => {
  app.get(
    "/v1/admin/releases",
    {
      schema: {
        tags: ["admin"],
        summary: "List releases, the active one and past activations (admin).",
        response: { 200: ReleaseListSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403) },
      },
    },
    async (request) => {
      const admin = requireRole(request, "admin");
      return {
        active: await runtime.releases.active(admin.tenant),
        releases: runtime.releases.list().map(({ id, description, prompt, policy, workflow, tools }) => ({ id, description, prompt, policy, workflow, tools })),
        history: (await runtime.releases.history(admin.tenant)).map(({ release_id, activated_by, activated_at }) => ({ release_id, activated_by, activated_at })),
      };
    },
  );

  app.put(
    "/v1/admin/releases/active",
    {
      schema: {
        tags: ["admin"],
        summary: "Activate a release for your tenant (admin); activating the previous one rolls back.",
        body: z.strictObject({ release: IdentifierSchema.describe("A release id, e.g. support@1.") }),
        response: { 200: ActiveReleaseSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 413, 415) },
      },
    },
    async (request) => {
      const admin = requireRole(request, "admin");
      const active = await runtime.releases.activate(admin.tenant, request.body.release, admin.actor);
      request.log.info({ release: active.release_id }, "release activated");
      return active;
    },
  );
};
