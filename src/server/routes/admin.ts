import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { WardenError } from "../../errors.js";
import { revokeApiKey } from "../../store/api-keys.js";
import { createApiKey, keyIdOf, RoleListSchema, ROLES } from "../api-keys.js";
import type { ApiKeyVerifier } from "../plugins/auth.js";
import { AUTHENTICATED_ERRORS, errorResponses, IdentifierSchema } from "../schemas/common.js";
import { requireRole, type RouteOptions } from "../types.js";
import { API_KEY_ID_PATTERN } from "../../contracts/identifiers.js";

const CreateKeyBodySchema = z.strictObject({
  tenant: IdentifierSchema.optional().describe("Must be the admin's own tenant (the default)."),
  actor: IdentifierSchema.describe("Who the key acts as: recorded on runs and approvals."),
  roles: RoleListSchema.describe("Each of requester, approver, admin at most once."),
});

const CreatedKeySchema = z
  .object({
    key: z.string().describe("The API key. Shown only in this response: store it now."),
    tenant: z.string(),
    actor: z.string(),
    roles: z.array(z.enum(ROLES)),
  })
  .meta({ id: "CreatedApiKey" });

const KeyParamsSchema = z.strictObject({ key_id: z.string().regex(API_KEY_ID_PATTERN, "16 lowercase hex digits (the part after wdn_)") });

/**
 * POST /v1/admin/keys creates a key in the admin's own tenant; DELETE /v1/admin/keys/:key_id revokes one.
 * Not idempotent on purpose: a replayed response would have to store the new key's secret.
 */
export const adminRoutes: FastifyPluginAsyncZod<RouteOptions & { verifier: ApiKeyVerifier }> = async (app, { runtime, verifier }) => {
  app.post(
    "/v1/admin/keys",
    {
      schema: {
        tags: ["admin"],
        summary: "Create an API key in your tenant (admin).",
        body: CreateKeyBodySchema,
        response: { 201: CreatedKeySchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const admin = requireRole(request, "admin");
      if (request.body.tenant !== undefined && request.body.tenant !== admin.tenant) {
        throw new WardenError("FORBIDDEN", "An admin key creates keys in its own tenant only.");
      }
      const created = await createApiKey(runtime.store.db, { tenant: admin.tenant, actor: request.body.actor, roles: request.body.roles });
      request.log.info({ key_id: keyIdOf(created.key), actor: created.actor, roles: created.roles }, "api key created");
      return reply.code(201).header("cache-control", "no-store").send(created);
    },
  );

  app.delete(
    "/v1/admin/keys/:key_id",
    {
      schema: {
        tags: ["admin"],
        summary: "Revoke an API key of your tenant (admin). Takes effect within seconds on every server.",
        params: KeyParamsSchema,
        response: { 200: z.object({ key_id: z.string(), revoked: z.literal(true) }), ...errorResponses(...AUTHENTICATED_ERRORS, 403, 404) },
      },
    },
    async (request) => {
      const admin = requireRole(request, "admin");
      if (!(await revokeApiKey(runtime.store.db, admin.tenant, request.params.key_id))) {
        throw new WardenError("NOT_FOUND", `No live API key ${request.params.key_id} in your tenant.`);
      }
      verifier.forget(request.params.key_id);
      return { key_id: request.params.key_id, revoked: true as const };
    },
  );
};
