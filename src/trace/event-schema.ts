import { z } from "zod";
import { POLICY_POINTS } from "../contracts/policy-points.js";
import { RUN_FINISHED_STATUSES } from "../contracts/run-status.js";
import { FLAG_KINDS } from "../store/flags.js";
import type { TraceEvent, TraceKind } from "./types.js";

/**
 * The attributes each trace kind carries. Graph nodes emit exactly these; attribute objects are loose (extra
 * attributes pass) so a node can add context without a schema change. Names follow the OpenTelemetry GenAI
 * semantic conventions where one exists (`gen_ai.tool.name`, `gen_ai.usage.input_tokens`, ...).
 * `docs/trace-event.schema.json` is generated from these (`npx tsx src/trace/generate-trace-schema.ts`).
 */
const count = z.number().int().nonnegative();
const milliseconds = z.number().nonnegative();
const toolName = z.string().min(1).describe("gen_ai.tool.name: the tool's registered name.");
const toolCallId = z.string().min(1).describe("gen_ai.tool.call.id: the model's (or workflow's) id for this call.");
const argsHash = z.string().min(1).describe("Hash of the call's exact, canonicalised arguments.");

export const traceAttributeSchemas = {
  "run.started": z.looseObject({
    thread_id: z.string(),
    actor: z.string(),
    roles: z.array(z.string()),
    goal: z.string(),
    route_hint: z.string().optional(),
    tools: z.array(z.string()).describe("Tools the release enables for this run."),
    idempotency_key: z.string().optional(),
  }),
  "route.decided": z.looseObject({
    route: z.string().regex(/^[a-z][a-z0-9_]*$/).describe("The workflow or agent (a node name a pack declares) the request goes to."),
    reason: z.string().describe("Why: the rule's or the model's reason; when the release's listing or a switch moved the request, that."),
    by: z
      .enum(["rule", "model", "default"])
      .optional()
      .describe(
        "Who chose the route: a pack's rule, the release's model (model_routing), or nobody (the release's first agent, also when the model could not decide). Absent in events recorded before it existed.",
      ),
  }),
  "workflow.step": z.looseObject({
    step: z.string(),
    status: z.enum(["ok", "failed", "skipped"]),
    detail: z.unknown().optional(),
  }),
  "model.call": z.looseObject({
    "gen_ai.system": z.string(),
    "gen_ai.request.model": z.string(),
    "gen_ai.usage.input_tokens": count,
    "gen_ai.usage.output_tokens": count,
    latency_ms: milliseconds,
    tool_calls: z.array(z.looseObject({ "gen_ai.tool.call.id": toolCallId, "gen_ai.tool.name": toolName })),
    "gen_ai.response.finish_reasons": z.array(z.string()).optional(),
    purpose: z.string().optional().describe("`route`: the route node classifying a request (model_routing); absent: a turn of the work itself."),
  }),
  "tool.call": z.looseObject({
    "gen_ai.tool.name": toolName,
    "gen_ai.tool.call.id": toolCallId,
    "gen_ai.tool.call.arguments": z.record(z.string(), z.unknown()).optional().describe("The call's arguments as the tool received them (redacted)."),
    side_effect: z.enum(["none", "read", "write", "irreversible"]),
    status: z.enum(["ok", "error", "denied", "replayed"]),
    latency_ms: milliseconds,
    retries: count,
    cost: z.number().optional(),
    effect_id: z.string().optional().describe("Effect ledger id, passed downstream as the idempotency key."),
    args_hash: argsHash,
    origin: z.enum(["model", "workflow"]),
    error_code: z.string().optional(),
    error_message: z.string().optional(),
  }),
  "policy.decision": z.looseObject({
    point: z.enum(POLICY_POINTS),
    effect: z.enum(["allow", "deny", "require_approval"]),
    rule: z.string(),
    reason: z.string(),
    policy: z.string().describe("`id@version` of the policy document that decided."),
    proposed_by: z.enum(["model", "workflow", "runtime"]),
    phase: z
      .enum(["draft", "effect"])
      .optional()
      .describe(
        "tool_call (and its extra points): `draft` when the call was proposed (the tool gate), `effect` when the executor decided it again right before the effect, after any approval.",
      ),
    "gen_ai.tool.name": toolName.optional(),
    "gen_ai.tool.call.id": toolCallId.optional(),
    args_hash: argsHash.optional(),
    effect_id: z.string().optional().describe("Effect ledger id of the call decided at `phase: effect`."),
  }),
  "approval.requested": z.looseObject({
    approval_id: z.string(),
    "gen_ai.tool.name": toolName,
    "gen_ai.tool.call.id": toolCallId,
    args_hash: argsHash,
    rule: z.string(),
    reason: z.string(),
    requested_by: z.string(),
  }),
  "approval.resolved": z.looseObject({
    approval_id: z.string(),
    decision: z.enum(["approve", "reject"]),
    approver: z.string(),
    "gen_ai.tool.call.id": toolCallId,
    args_hash: argsHash,
    comment: z.string().optional(),
  }),
  "memory.read": z.looseObject({
    subject: z.string().describe("Whom the memory is about (e.g. a customer id)."),
    effect: z.enum(["allow", "deny"]).describe("The `retrieval` decision; a denied read gives the run no memory."),
    rule: z.string(),
    count: count.describe("Unexpired entries handed to the run."),
    memory_ids: z.array(z.string()),
    kinds: z.array(z.string()),
  }),
  "memory.write": z.looseObject({
    subject: z.string().optional().describe("Absent when the run named no subject (the write is then denied)."),
    kind: z.string(),
    effect: z.enum(["allow", "deny"]).describe("The `memory_write` decision; a denied write stores nothing."),
    rule: z.string(),
    reason: z.string(),
    stored: z.boolean(),
    memory_id: z.string().optional(),
    expires_at: z.string().optional(),
    proposed_by: z.enum(["model", "workflow"]),
  }),
  "flag.applied": z.looseObject({
    flag: z.enum(FLAG_KINDS),
    target: z.string().describe("Tool name, prompt version (e.g. `shop@2`), model name or workflow id; empty for agent/runtime."),
    scope: z.enum(["tenant", "global"]),
    reason: z.string().optional(),
    set_by: z.string(),
    action: z.string().describe("What the switch changed in this step."),
  }),
  "eval.result": z.looseObject({
    evaluator: z.string(),
    pass: z.boolean(),
    score: z.number(),
    detail: z.unknown().optional(),
  }),
  "run.finished": z.looseObject({
    status: z.enum(RUN_FINISHED_STATUSES),
    answer: z.string().optional(),
    evidence: z.array(z.string()).describe("gen_ai.tool.call.id of each tool call the answer rests on."),
  }),
  "run.failed": z.looseObject({
    error_code: z.string(),
    error_message: z.string(),
  }),
} satisfies { [K in TraceKind]: z.ZodType<Record<string, unknown>> };

/** The attributes a node passes to `emit(kind, ...)` for `kind`. */
export type TraceAttributes<K extends TraceKind> = z.input<(typeof traceAttributeSchemas)[K]>;

// The envelope's field schemas are shared instances with ids, so the JSON Schema states them once in `$defs`.
const envelope = {
  run_id: z.string().min(1).meta({ id: "RunId" }),
  seq: z.number().int().positive().meta({ id: "Seq", description: "1, 2, 3... per run, in emission sequence, continuing across resumes." }),
  at: z.iso.datetime({ offset: true }).meta({ id: "Timestamp", description: "ISO-8601 time of emission." }),
  tenant: z.string().min(1).meta({ id: "Tenant" }),
  release: z.string().min(1).meta({ id: "Release", description: "`id@version` of the release the run uses." }),
  node: z.string().optional().describe("Graph node that emitted the event."),
};

function eventSchema<K extends TraceKind>(kind: K) {
  return z.object({ ...envelope, kind: z.literal(kind), attributes: traceAttributeSchemas[kind] });
}

/** One stored trace event (a row's `event` column), discriminated by `kind`. */
export const traceEventSchema = z
  .discriminatedUnion("kind", [
    eventSchema("run.started"),
    eventSchema("route.decided"),
    eventSchema("workflow.step"),
    eventSchema("model.call"),
    eventSchema("tool.call"),
    eventSchema("policy.decision"),
    eventSchema("approval.requested"),
    eventSchema("approval.resolved"),
    eventSchema("memory.read"),
    eventSchema("memory.write"),
    eventSchema("flag.applied"),
    eventSchema("eval.result"),
    eventSchema("run.finished"),
    eventSchema("run.failed"),
  ])
  .meta({
    title: "Warden trace event",
    description: "One event of a run's trace, as stored in run_events.event (already redacted).",
  });

// Compile-time guard: a parsed event is a TraceEvent, so the schema cannot drift from the contract in types.ts.
type ParsedEvent = z.output<typeof traceEventSchema>;
const _parsedIsTraceEvent: (event: ParsedEvent) => TraceEvent = (event) => event;
void _parsedIsTraceEvent;

/** The JSON Schema (draft 2020-12) of a trace event; `docs/trace-event.schema.json` holds exactly this. */
export function traceEventJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(traceEventSchema, { target: "draft-2020-12" }) as Record<string, unknown>;
}

/**
 * Validates an event against its kind's schema.
 * @returns the event, or the zod issues explaining why it is not one.
 */
export function validateTraceEvent(value: unknown): { ok: true; event: TraceEvent } | { ok: false; issues: z.core.$ZodIssue[] } {
  const result = traceEventSchema.safeParse(value);
  return result.success ? { ok: true, event: result.data } : { ok: false, issues: result.error.issues };
}
