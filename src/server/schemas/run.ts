import { z } from "zod";
import { humanText, IdentifierSchema, RunIdSchema } from "./common.js";
import { boundedJsonObject } from "./json-object.js";
import { RUN_STATUSES } from "../../contracts/run-status.js";

/**
 * Every status a run can have. `queued`: not started yet (waiting for a worker, or behind its thread's active run);
 * `running`: executing (or between two attempts); `waiting_approval`: waits for a person; the rest are final.
 */
export const RunStatusSchema = z.enum(RUN_STATUSES);

export const MultitaskStrategySchema = z
  .enum(["reject", "enqueue", "interrupt", "rollback"])
  .describe(
    "When the thread already has an active run: reject (409 THREAD_BUSY, the default), enqueue (run after it), interrupt (stop it at its next step boundary, keep its progress, then run), rollback (stop it and discard what it wrote to the thread, then run).",
  );

/** The body of POST /v1/runs. Tenant and actor come from the API key, never from here (unknown keys: 400). */
export const CreateRunBodySchema = z
  .strictObject({
    goal: humanText(4000).describe("What the requester wants, in their words (1..4000 characters)."),
    release: IdentifierSchema.optional().describe("Release id; when absent, your tenant's active release (PUT /v1/admin/releases/active), else the server's default."),
    thread_id: IdentifierSchema.optional().describe("Continue this thread (its previous run must have finished); a new thread when absent."),
    context: boundedJsonObject({ maxBytes: 16 * 1024, maxDepth: 16 })
      .optional()
      .describe("Structured hints for the run (e.g. a record id the goal is about); at most 16 KB as JSON and 16 levels deep."),
    subject: IdentifierSchema.optional().describe(
      "Whom the run is about (e.g. a customer id). Its long-term memory is read at the start (retrieval policy) and the run may propose memories, stored only with the subject's recorded consent.",
    ),
    mode: z
      .enum(["sync", "background"])
      .optional()
      .describe("sync (default): answer when the run finishes or waits for an approval (202 if it takes longer than the server's wait); background: answer 202 at once with status queued."),
    multitask_strategy: MultitaskStrategySchema.optional(),
    webhook: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional()
      .describe("POSTed the RunRecord (signed, Warden-Signature) when the run waits for approval, completes, is denied, escalates or fails. Default: your tenant's webhook."),
  })
  .meta({ id: "CreateRunRequest" });

/** Headers POST /v1/runs reads (others pass through). */
export const CreateRunHeadersSchema = z.looseObject({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x20-\x7E]+$/, "printable ASCII")
    .optional()
    .describe("Makes the request safe to retry: the same key and body replay the first response."),
});

const PendingApprovalSchema = z.object({
  approval_id: z.string(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()),
  args_hash: z.string().describe("Hash of the exact arguments; send it back with the decision to bind it to what you reviewed."),
  rule: z.string(),
  reason: z.string(),
});

/** The public shape of a run: what POST /v1/runs, GET /v1/runs/:id, cancel and approval decisions answer. */
export const RunRecordSchema = z
  .object({
    run_id: RunIdSchema,
    thread_id: z.string(),
    tenant: z.string(),
    actor: z.string(),
    release: z.string(),
    route: z.string().nullable().describe("The workflow or agent the run was routed to (a node name its pack declares), once routed."),
    status: RunStatusSchema,
    answer: z.string().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional().describe("Why a failed run failed (while it is retried: why its last attempt failed)."),
    denial: z.object({ rule: z.string(), reason: z.string(), policy: z.string().optional() }).optional().describe("Why policy denied the run."),
    attempts: z.number().int().describe("Executions since the run was last stable; more than one after a crash or a failed attempt that was retried."),
    pending_approvals: z.array(PendingApprovalSchema),
    effects: z.array(z.object({ effect_id: z.string(), tool: z.string(), status: z.string() })).describe("Side effects recorded in the effect ledger."),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "RunRecord" });
