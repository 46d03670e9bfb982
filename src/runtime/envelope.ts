import { z } from "zod";
import { WardenError } from "../errors.js";

const Identifier = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:@-]+$/, "letters, digits and . _ : @ - only");

/** What a caller asks the runtime to do, on whose behalf. The server fills tenant/actor/roles from the API key. */
export const RunEnvelopeSchema = z.object({
  tenant: Identifier,
  actor: Identifier,
  roles: z.array(z.string().min(1).max(64)).max(16),
  goal: z.string().trim().min(1).max(4000),
  release: Identifier.optional(),
  idempotencyKey: z.string().min(1).max(255).optional(),
  threadId: Identifier.optional(),
  context: z.record(z.string(), z.unknown()).optional(),
  /** Whom the run is about (e.g. a customer id): its long-term memory is read at the start and written at the end. */
  subject: Identifier.optional(),
});
export type RunEnvelope = z.input<typeof RunEnvelopeSchema>;

export function parseEnvelope(input: unknown): z.output<typeof RunEnvelopeSchema> {
  const parsed = RunEnvelopeSchema.safeParse(input);
  if (!parsed.success) {
    throw new WardenError("ENVELOPE_INVALID", "The run envelope is invalid.", {
      details: parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
    });
  }
  return parsed.data;
}
