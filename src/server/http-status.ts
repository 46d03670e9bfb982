import type { ErrorCode } from "../errors.js";

/**
 * The one place a WardenError code becomes an HTTP status (docs/errors.md shows the same table). A `Record`
 * over every code, so adding a code to src/errors.ts without a status here fails the type check.
 *
 * Choices worth knowing: RELEASE_NOT_FOUND is 400 (the client named a release in the body; the URL it called
 * exists), APPROVAL_MISMATCH is 409 (the pending call changed under the approver: re-read and decide again),
 * EVAL_GATE_REQUIRED / EVAL_GATE_FAILED are 409 (the release's state refuses the switch until an eval passes).
 * Codes that describe the server's own files or tools (policy, release, tool errors) are 500: a client cannot
 * cause them, and their messages are not shown.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  ENVELOPE_INVALID: 400,
  VALIDATION_FAILED: 400,
  RELEASE_NOT_FOUND: 400,
  MEMORY_INVALID: 400,
  WEBHOOK_URL_REFUSED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  APPROVAL_FORBIDDEN: 403,
  POLICY_DENIED: 403,
  NOT_FOUND: 404,
  APPROVAL_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  THREAD_NOT_FOUND: 404,
  MEMORY_NOT_FOUND: 404,
  APPROVAL_CONFLICT: 409,
  APPROVAL_MISMATCH: 409,
  RUN_NOT_WAITING: 409,
  RUN_NOT_FAILED: 409,
  RUN_FINISHED: 409,
  SCHEDULE_NOT_FOUND: 404,
  THREAD_BUSY: 409,
  IDEMPOTENCY_IN_FLIGHT: 409,
  EVAL_GATE_REQUIRED: 409,
  EVAL_GATE_FAILED: 409,
  REQUEST_TIMEOUT: 408,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_MISMATCH: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  RELEASE_INVALID: 500,
  POLICY_INVALID: 500,
  DATASET_INVALID: 500,
  CONFIG_INVALID: 500,
  // Raised by `warden new pack` only; statuses for completeness.
  PACK_NAME_INVALID: 400,
  PACK_EXISTS: 409,
  TOOL_UNKNOWN: 500,
  TOOL_INPUT_INVALID: 500,
  TOOL_OUTPUT_INVALID: 500,
  TOOL_PERMISSION_DENIED: 500,
  TOOL_TIMEOUT: 500,
  TOOL_TRANSIENT: 500,
  TOOL_FAILED: 500,
  TOOL_UNAUTHORIZED_EFFECT: 500,
  TOOL_ABORTED: 500,
  MODEL_ERROR: 502,
  STORE_UNAVAILABLE: 503,
  STORE_LOCKED: 503,
  RUNTIME_DISABLED: 503,
  ROUTE_DISABLED: 503,
};

/** The HTTP status of a WardenError code. */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** The error code a bare HTTP status stands for, for errors that carry only a status (Fastify's, plugins'). */
export function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 408:
      return "REQUEST_TIMEOUT";
    case 413:
      return "BODY_TOO_LARGE";
    case 415:
      return "UNSUPPORTED_MEDIA_TYPE";
    case 429:
      return "RATE_LIMITED";
    case 503:
      return "STORE_UNAVAILABLE";
    default:
      return status >= 500 ? "INTERNAL" : "VALIDATION_FAILED";
  }
}
