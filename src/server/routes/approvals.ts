import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApprovalListQuerySchema, ApprovalListSchema, DecisionBodySchema } from "../schemas/approval.js";
import { ApprovalParamsSchema, AUTHENTICATED_ERRORS, errorResponses } from "../schemas/common.js";
import { RunRecordSchema } from "../schemas/run.js";
import { requireRole, type RouteOptions } from "../types.js";
import { v1Base } from "./base-path.js";

/**
 * /v1/approvals: list the tenant's approvals and decide one. The decision is the runtime's: four-eyes, the
 * argument hash and the race between two approvers (one wins, the other gets 409) are enforced there.
 */
export const approvalsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { runtime }) => {
  const base = v1Base(app);

  app.get(
    `${base}/approvals`,
    {
      schema: {
        tags: ["approvals"],
        summary: "List approvals",
        description: "The tenant's approvals with the given status (default pending), oldest first. Role: approver.",
        querystring: ApprovalListQuerySchema,
        response: { 200: ApprovalListSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403) },
      },
    },
    async (request) => {
      const { tenant } = requireRole(request, "approver");
      const rows = await runtime.listApprovals(tenant, { status: request.query.status, runId: request.query.run_id });
      return {
        approvals: rows.map((row) => ({
          approval_id: row.approval_id,
          run_id: row.run_id,
          tool: row.tool,
          args: row.args,
          args_hash: row.args_hash,
          rule: row.rule,
          reason: row.reason,
          requested_by: row.requested_by,
          status: row.status,
          created_at: new Date(row.created_at).toISOString(),
        })),
      };
    },
  );

  app.post(
    `${base}/approvals/:approval_id`,
    {
      config: { idempotent: true },
      schema: {
        tags: ["approvals"],
        summary: "Approve or reject",
        description:
          "Applies the decision once and resumes the run, answering its RunRecord after the resume. Role: approver, " +
          "and not the actor who started the run (403). An approval already decided is a 409.",
        params: ApprovalParamsSchema,
        body: DecisionBodySchema,
        response: { 200: RunRecordSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 404, 409, 413, 415, 422, 503) },
      },
    },
    async (request) => {
      const principal = requireRole(request, "approver");
      return runtime.decide({
        tenant: principal.tenant,
        approvalId: request.params.approval_id,
        decision: request.body.decision,
        approver: principal.actor,
        roles: principal.roles,
        comment: request.body.comment,
        argsHash: request.body.args_hash,
      });
    },
  );
};
