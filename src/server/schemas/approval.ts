import { z } from "zod";
import { humanText, RunIdSchema } from "./common.js";
import { CursorSchema, LimitSchema } from "./run-list.js";
import { ARGS_HASH_PATTERN } from "../../contracts/identifiers.js";

export const ApprovalStatusSchema = z.enum(["pending", "approved", "rejected", "cancelled"]);

export const ApprovalListQuerySchema = z.strictObject({
  status: ApprovalStatusSchema.default("pending").describe("Which approvals to list (default pending)."),
  run_id: RunIdSchema.optional().describe("Only this run's approvals."),
  limit: LimitSchema,
  cursor: CursorSchema.optional(),
});

/** One approval as an approver sees it. */
export const ApprovalSchema = z
  .object({
    approval_id: z.string(),
    run_id: z.string(),
    tool: z.string(),
    args: z.record(z.string(), z.unknown()),
    args_hash: z.string(),
    rule: z.string().describe("The policy rule that asked for approval."),
    reason: z.string(),
    requested_by: z.string().describe("The actor who started the run (who may not approve it)."),
    status: ApprovalStatusSchema,
    decided_by: z.string().nullable().describe("Who decided it (null while pending)."),
    decided_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "Approval" });

export const ApprovalListSchema = z
  .object({ approvals: z.array(ApprovalSchema), next_cursor: z.string().nullable().describe("Cursor of the next page; null on the last one.") })
  .meta({ id: "ApprovalList" });

/** The body of POST /v1/approvals/:approval_id. */
export const DecisionBodySchema = z
  .strictObject({
    decision: z.enum(["approve", "reject"]),
    comment: humanText(2000).optional(),
    args_hash: z
      .string()
      .regex(ARGS_HASH_PATTERN, "sha256: and 64 lowercase hex digits")
      .optional()
      .describe("The args_hash you reviewed; the decision fails (409) if the pending call's arguments differ."),
  })
  .meta({ id: "ApprovalDecision" });
