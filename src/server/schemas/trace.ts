import { z } from "zod";
import { TRACE_KINDS } from "../../trace/types.js";

/**
 * A stored, redacted trace event. Attributes per kind are documented in docs/trace-event.schema.json; the API
 * keeps them open here so a new attribute never turns a trace read into a server error.
 */
export const TraceEventSchema = z
  .object({
    run_id: z.string(),
    seq: z.number().int().describe("1, 2, 3... per run; the SSE `id`."),
    at: z.string().describe("ISO-8601 time of emission."),
    tenant: z.string(),
    release: z.string(),
    kind: z.enum(TRACE_KINDS),
    node: z.string().optional(),
    attributes: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "TraceEvent" });

/** GET /v1/runs/:run_id/trace. */
export const TraceResponseSchema = z.object({ run_id: z.string(), events: z.array(TraceEventSchema) }).meta({ id: "TraceResponse" });

const SEQ = /^(0|[1-9][0-9]{0,9})$/;
/** The largest seq: `run_events.seq` is a Postgres integer, and a larger bound would fail the query (a 500). */
export const MAX_SEQ = 2_147_483_647;
// Only judged for digits: other text already failed the regex, one message is enough.
const inSeqRange = (text: string) => !SEQ.test(text) || Number(text) <= MAX_SEQ;
const SEQ_RANGE = `at most ${MAX_SEQ}`;

export const TraceQuerySchema = z.strictObject({
  after: z
    .string()
    .regex(SEQ, "a non-negative integer")
    .refine(inSeqRange, SEQ_RANGE)
    .transform(Number)
    .optional()
    .describe(`Only events with a seq greater than this (0..${MAX_SEQ}).`),
});

/** GET /v1/runs/:run_id/events reads the standard SSE resume header. */
export const EventStreamHeadersSchema = z.looseObject({
  "last-event-id": z
    .string()
    .regex(SEQ, "the seq of the last event received")
    .refine(inSeqRange, SEQ_RANGE)
    .optional()
    .describe(`Resume after this event seq (0..${MAX_SEQ}).`),
});
