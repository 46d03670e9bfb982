import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApprovalListQuerySchema, ApprovalListSchema, DecisionBodySchema } from "../schemas/approval.js";
import { ApprovalParamsSchema, AUTHENTICATED_ERRORS, errorResponses } from "../schemas/common.js";
import { RunRecordSchema } from "../schemas/run.js";
import { STABLE_STATUSES } from "../../contracts/run-status.js";
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
        description: "The tenant's approvals with the given status (default pending), oldest first, a page at a time (`next_cursor`). Role: approver.",
        querystring: ApprovalListQuerySchema,
        response: { 200: ApprovalListSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403) },
      },
    },
    async (request) => {
      const { tenant } = requireRole(request, "approver");
      const { status, run_id, limit, cursor } = request.query;
      const page = await runtime.pageApprovals(tenant, { status, runId: run_id, limit, cursor });
      return {
        next_cursor: page.next_cursor,
        approvals: page.approvals.map((row) => ({
          approval_id: row.approval_id,
          run_id: row.run_id,
          tool: row.tool,
          args: row.args,
          args_hash: row.args_hash,
          rule: row.rule,
          reason: row.reason,
          requested_by: row.requested_by,
          status: row.status,
          decided_by: row.decided_by,
          decided_at: row.decided_at ? new Date(row.decided_at).toISOString() : null,
          created_at: new Date(row.created_at).toISOString(),
        })),
      };
    },
  );

  app.post(
    `${base}/approvals/:approval_id`,
    {
      config: { idempotent: "resource" },
      schema: {
        tags: ["approvals"],
        summary: "Approve or reject",
        description:
          "Applies the decision and commits the run's resume with it, then answers the RunRecord after the resume (202 if the run is still running when the server stops waiting). " +
          "Role: approver, and not the actor who started the run (403). An approval someone else decided is a 409 whose details say who; the same approver sending the same decision again gets the run.",
        params: ApprovalParamsSchema,
        body: DecisionBodySchema,
        response: {
          200: { description: "The run after the resume.", content: { "application/json": { schema: RunRecordSchema } } },
          202: { description: "The run, still running after the resume.", content: { "application/json": { schema: RunRecordSchema } } },
          ...errorResponses(...AUTHENTICATED_ERRORS, 403, 404, 409, 413, 415, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, "approver");
      const record = await runtime.decide({
        tenant: principal.tenant,
        approvalId: request.params.approval_id,
        decision: request.body.decision,
        approver: principal.actor,
        roles: principal.roles,
        comment: request.body.comment,
        argsHash: request.body.args_hash,
      });
      return reply.code(STABLE_STATUSES.includes(record.status) ? 200 : 202).send(record);
    },
  );
};
