import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { WebhookEndpointRow } from "../../store/webhook-endpoints.js";
import { AUTHENTICATED_ERRORS, errorResponses } from "../schemas/common.js";
import { requireRole, type RouteOptions } from "../types.js";

const WebhookSettingsSchema = z
  .object({
    url: z.string().nullable().describe("Default webhook of the tenant's runs (a run's own `webhook` overrides it)."),
    secret: z.string().nullable().describe("Signs every delivery: verify Warden-Signature (t=<unix>,v1=<HMAC-SHA256 of \"<t>.<body>\">) with it."),
    updated_by: z.string().nullable(),
    updated_at: z.string().nullable(),
  })
  .meta({ id: "WebhookSettings" });

const SetWebhookSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).max(2048).nullable().describe("The default URL, or null for none."),
    rotate_secret: z.boolean().optional().describe("Replace the signing secret (events queued before keep the old signature)."),
  })
  .meta({ id: "SetWebhook" });

function view(row: WebhookEndpointRow | undefined) {
  return {
    url: row?.url ?? null,
    secret: row?.secret ?? null,
    updated_by: row?.updated_by ?? null,
    updated_at: row ? new Date(row.updated_at).toISOString() : null,
  };
}

/** The tenant's webhook settings (admin): its default URL and signing secret. Private addresses are refused (SSRF). */
export const adminWebhooksRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { runtime }) => {
  app.get(
    "/v1/admin/webhooks",
    { schema: { tags: ["admin"], summary: "Read your tenant's webhook settings (admin).", response: { 200: WebhookSettingsSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403) } } },
    async (request) => view(await runtime.webhooks.get(requireRole(request, "admin").tenant)),
  );
  app.put(
    "/v1/admin/webhooks",
    {
      schema: {
        tags: ["admin"],
        summary: "Set your tenant's default webhook and/or rotate its signing secret (admin).",
        body: SetWebhookSchema,
        response: { 200: WebhookSettingsSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 413, 415) },
      },
    },
    async (request) => {
      const admin = requireRole(request, "admin");
      return view(await runtime.webhooks.set(admin.tenant, { url: request.body.url, rotate: request.body.rotate_secret ?? false, by: admin.actor }));
    },
  );
};
