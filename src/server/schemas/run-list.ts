import { z } from "zod";
import { IdentifierSchema } from "./common.js";
import { RunStatusSchema } from "./run.js";

/** An opaque page cursor: the `next_cursor` of the previous page, passed back unchanged. */
export const CursorSchema = z.string().min(1).max(512).regex(/^[A-Za-z0-9_-]+$/, "a cursor returned by the previous page").describe("The next_cursor of the previous page.");

/** `limit`: 1..200 (default 50). */
export const LimitSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,2}$/, "an integer from 1 to 200")
  .transform(Number)
  .refine((limit) => limit <= 200, "at most 200")
  .optional()
  .describe("Page size, 1..200 (default 50).");

export const RunListQuerySchema = z.strictObject({
  status: RunStatusSchema.optional().describe("Only runs with this status."),
  thread_id: IdentifierSchema.optional().describe("Only runs of this thread."),
  limit: LimitSchema,
  cursor: CursorSchema.optional(),
});

const RunSummarySchema = z
  .object({
    run_id: z.string(),
    thread_id: z.string(),
    actor: z.string(),
    release: z.string(),
    route: z.string().nullable(),
    status: RunStatusSchema,
    mode: z.enum(["sync", "background"]),
    attempts: z.number().int(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    denial: z.object({ rule: z.string(), reason: z.string(), policy: z.string().optional() }).optional(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "RunSummary" });

export const RunPageSchema = z
  .object({ runs: z.array(RunSummarySchema), next_cursor: z.string().nullable().describe("Cursor of the next page; null on the last one.") })
  .meta({ id: "RunPage" });

/** GET /v1/runs/:run_id/wait: how long to wait, in seconds (0..300, default 30). */
export const WaitQuerySchema = z.strictObject({
  timeout_s: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,2})$/, "whole seconds, 0..300")
    .transform(Number)
    .refine((seconds) => seconds <= 300, "at most 300")
    .optional()
    .describe("Seconds to wait for a stable status (0..300, default 30)."),
});
