import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { AUTHENTICATED_ERRORS, errorResponses, humanText, IdentifierSchema } from "../schemas/common.js";
import { requireRole, type RouteOptions } from "../types.js";

const ActiveReleaseSchema = z
  .object({
    tenant: z.string(),
    release_id: z.string(),
    source: z.enum(["activated", "default"]).describe("default: none activated yet, the server's default release (WARDEN_RELEASE, or the first pack's)."),
    activated_by: z.string().optional(),
    activated_at: z.string().optional(),
  })
  .meta({ id: "ActiveRelease" });

const ActivationKindSchema = z
  .enum(["promotion", "rollback", "forced"])
  .describe("promotion: a passing eval of the release's content let it through; rollback: the tenant ran it before (never blocked); forced: an admin overrode the gate with a reason.");

const ActivationAuditSchema = {
  kind: ActivationKindSchema,
  content_hash: z.string().nullable().describe("The release's content hash at the switch (null only when it could not be computed)."),
  eval_id: z.string().nullable().describe("The passing eval of a promotion; for other kinds the latest eval of that content, if any."),
  reason: z.string().nullable().describe("Why (required when forced)."),
};

const ActivationSchema = z
  .object({
    tenant: z.string(),
    release_id: z.string(),
    source: z.literal("activated"),
    activated_by: z.string(),
    activated_at: z.string(),
    ...ActivationAuditSchema,
  })
  .meta({ id: "ReleaseActivation" });

const LatestEvalSchema = z
  .object({
    eval_id: z.string(),
    gate: z.enum(["pass", "fail"]),
    content_hash: z.string(),
    created_at: z.string(),
    scores: z.record(z.string(), z.number()),
    cases: z.number().int(),
    passed: z.number().int(),
    failed: z.number().int(),
    current: z.boolean().describe("Whether this eval is of the release's current content: only then does its gate decide an activation."),
  })
  .meta({ id: "ReleaseEval" });

const ReleaseListSchema = z.object({
  active: ActiveReleaseSchema,
  releases: z.array(
    z.object({
      id: z.string(),
      description: z.string().optional(),
      prompt: z.string(),
      policy: z.string(),
      workflows: z.array(z.string()).describe("The workflow ids the release routes to."),
      agents: z.array(z.object({ node: z.string(), max_steps: z.number().int() })).describe("The agents it routes to (node `*`: every agent it does not name), the first taking open-ended requests."),
      model_routing: z.boolean().describe("Whether a request no rule claims is classified by the release's model (a real one only)."),
      tools: z.array(z.string()),
      content_hash: z.string().nullable().describe("The hash of everything that can change the release's behaviour, as the files are now; null when it cannot be computed (e.g. its dataset is missing)."),
      latest_eval: LatestEvalSchema.nullable().describe("The newest eval of the current content, else the newest of older content (current: false), else null."),
    }),
  ),
  history: z
    .array(z.object({ release_id: z.string(), activated_by: z.string(), activated_at: z.string(), ...ActivationAuditSchema }))
    .describe("Activations, newest first."),
});

const ActivateBodySchema = z
  .strictObject({
    release: IdentifierSchema.describe("A release id, e.g. shop@1."),
    force: z.boolean().optional().describe("Activate although the release's current content has no passing eval (needs reason; audited as forced)."),
    reason: humanText(500).optional().describe("Why; required with force, recorded with any activation."),
  })
  .refine((body) => !body.force || body.reason !== undefined, { path: ["reason"], message: "is required with force" });

/**
 * The releases a tenant may run and the active one. PUT /v1/admin/releases/active switches it: the next run
 * of the tenant (in any process) uses it. A release the tenant never ran needs a passing eval of its current
 * content (409 EVAL_GATE_REQUIRED / EVAL_GATE_FAILED), unless forced with a reason; activating the previous one
 * (the rollback) is never blocked.
 */
export const adminReleasesRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { runtime }) => {
  app.get(
    "/v1/admin/releases",
    {
      schema: {
        tags: ["admin"],
        summary: "List releases with their content hash and latest eval, the active one and past activations (admin).",
        response: { 200: ReleaseListSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403) },
      },
    },
    async (request) => {
      const admin = requireRole(request, "admin");
      const releases = await Promise.all(
        runtime.releases.list().map(async ({ id, description, prompt, policy, workflows, agents, model_routing, tools }) => {
          const { content_hash, latest_eval: latest } = await runtime.releases.evalStatus(id);
          const latest_eval = latest
            ? {
                eval_id: latest.eval_id,
                gate: latest.gate,
                content_hash: latest.content_hash,
                created_at: latest.created_at,
                scores: latest.scores,
                cases: latest.cases,
                passed: latest.passed,
                failed: latest.failed,
                current: latest.current,
              }
            : null;
          return { id, description, prompt, policy, workflows, agents, model_routing, tools, content_hash, latest_eval };
        }),
      );
      return {
        active: await runtime.releases.active(admin.tenant),
        releases,
        history: (await runtime.releases.history(admin.tenant)).map(({ release_id, activated_by, activated_at, kind, content_hash, eval_id, reason }) => ({
          release_id,
          activated_by,
          activated_at,
          kind,
          content_hash,
          eval_id,
          reason,
        })),
      };
    },
  );

  app.put(
    "/v1/admin/releases/active",
    {
      schema: {
        tags: ["admin"],
        summary: "Activate a release for your tenant (admin): gated on a passing eval unless forced with a reason; activating the previous one rolls back.",
        body: ActivateBodySchema,
        response: { 200: ActivationSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 409, 413, 415) },
      },
    },
    async (request) => {
      const admin = requireRole(request, "admin");
      const { release, force, reason } = request.body;
      const activation = await runtime.releases.activate(admin.tenant, release, admin.actor, {
        ...(force === undefined ? {} : { force }),
        ...(reason === undefined ? {} : { reason }),
      });
      request.log.info({ release: activation.release_id, kind: activation.kind, eval_id: activation.eval_id, reason: activation.reason }, "release activated");
      return activation;
    },
  );
};
