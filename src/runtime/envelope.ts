import { z } from "zod";
import { WardenError } from "../errors.js";
import { findInvisibleCharacter, findInvisibleCharacterDeep, invisibleCharacterMessage } from "../text/invisible-characters.js";
import { IdentifierSchema } from "../contracts/identifiers.js";

/** The first value that occurs twice in `values`, or undefined. */
function firstDuplicate(values: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) return value;
    seen.add(value);
  }
  return undefined;
}

// Library callers reach the runtime without the HTTP schemas: the same refusal of invisible and bidirectional
// control characters applies to the text a person later reads (the goal, and strings the model may copy from context).
const refuseInvisible = (value: unknown, context: z.RefinementCtx) => {
  const found = typeof value === "string" ? findInvisibleCharacter(value) : findInvisibleCharacterDeep(value);
  if (found) context.addIssue({ code: "custom", message: invisibleCharacterMessage(found) });
};

/** What a caller asks the runtime to do, on whose behalf. The server fills tenant/actor/roles from the API key. */
export const RunEnvelopeSchema = z.object({
  tenant: IdentifierSchema,
  actor: IdentifierSchema,
  roles: z
    .array(z.string().min(1).max(64))
    .max(16)
    .superRefine((roles, context) => {
      const repeated = firstDuplicate(roles);
      if (repeated !== undefined) context.addIssue({ code: "custom", message: `must not repeat a role ("${repeated}" appears more than once)` });
    }),
  goal: z.string().trim().min(1).max(4000).superRefine(refuseInvisible),
  release: IdentifierSchema.optional(),
  idempotencyKey: z.string().min(1).max(255).optional(),
  threadId: IdentifierSchema.optional(),
  context: z.record(z.string(), z.unknown()).superRefine(refuseInvisible).optional(),
  /** Whom the run is about (e.g. a customer id): its long-term memory is read at the start and written at the end. */
  subject: IdentifierSchema.optional(),
});
export type RunEnvelope = z.input<typeof RunEnvelopeSchema>;

export function parseEnvelope(input: unknown): z.output<typeof RunEnvelopeSchema> {
  const parsed = RunEnvelopeSchema.safeParse(input);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
    throw new WardenError("ENVELOPE_INVALID", `The run envelope is invalid: ${details.map((detail) => `${detail.path}: ${detail.message}`).join("; ")}.`, {
      details,
    });
  }
  return parsed.data;
}
