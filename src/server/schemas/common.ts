import { z } from "zod";
import { findInvisibleCharacter, invisibleCharacterMessage } from "../../text/invisible-characters.js";
import { APPROVAL_ID_PATTERN, IdentifierSchema } from "../../contracts/identifiers.js";

/**
 * Shapes every route shares: the error body and the path ids. Ids are checked for their format here, so a
 * malformed id is a 400 before any query runs, and a well-formed id of another tenant is the runtime's 404.
 */

/** `{ error: { code, message, details? } }`: the one error body of the API (see docs/errors.md). */
export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().describe("Stable error code, e.g. VALIDATION_FAILED, RUN_NOT_FOUND."),
      message: z.string().describe("A human sentence; do not parse it."),
      details: z.unknown().optional().describe("Machine-readable context, e.g. the failing fields of a 400."),
    }),
  })
  .meta({ id: "ErrorResponse" });

/** Error statuses a route documents (the server's error handler produces the bodies). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

/** The `response` entries of the given error statuses, all with the error body. */
export function errorResponses<const S extends ErrorStatus>(...statuses: S[]): Record<S, typeof ErrorResponseSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponseSchema])) as Record<S, typeof ErrorResponseSchema>;
}

/** Errors any authenticated /v1 route can answer. */
export const AUTHENTICATED_ERRORS = [400, 401, 429] as const;

/** Names a caller may choose (thread ids, releases): the run envelope's identifier rule. */
export { IdentifierSchema } from "../../contracts/identifiers.js";

/** Run ids are UUIDs the runtime generates. */
export const RunIdSchema = z.uuid().describe("A run id (UUID).");

/** Approval ids are `apr_` and 24 lowercase hex digits. */
export const ApprovalIdSchema = z
  .string()
  .regex(APPROVAL_ID_PATTERN, "an approval id: apr_ and 24 lowercase hex digits")
  .describe("An approval id (apr_ + 24 hex).");

export const RunParamsSchema = z.strictObject({ run_id: RunIdSchema });
export const ApprovalParamsSchema = z.strictObject({ approval_id: ApprovalIdSchema });
export const ThreadParamsSchema = z.strictObject({ thread_id: IdentifierSchema.describe("A thread id.") });

// C0 control characters other than tab, line feed and carriage return, and DEL: never part of human text.
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// With the `u` flag a surrogate pair is one code point, so this matches only a lone (unpaired) surrogate,
// which Postgres refuses in text and jsonb.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** True when `text` holds a NUL byte or a lone surrogate: strings Postgres cannot store. */
export function isUnstorableText(text: string): boolean {
  return text.includes("\u0000") || LONE_SURROGATE.test(text);
}

/**
 * Human text (a goal, a comment): no control characters, no invisible or bidirectional control characters
 * (they make an approver read something other than what runs; see src/text/invisible-characters.ts), no lone
 * surrogates, not only whitespace.
 */
export function humanText(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((text) => !CONTROL_CHARACTER.test(text), "must not contain control characters")
    .superRefine((text, context) => {
      const found = findInvisibleCharacter(text);
      if (found) context.addIssue({ code: "custom", message: invisibleCharacterMessage(found) });
    })
    .refine((text) => !LONE_SURROGATE.test(text), "must be well-formed Unicode (no lone surrogates)")
    .refine((text) => text.trim().length > 0, "must not be blank");
}
