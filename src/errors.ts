/**
 * One error base for the whole runtime. Each error has a stable `code` that clients, tests and docs rely on
 * (`docs/errors.md` lists them); HTTP statuses are mapped only by the server, never here.
 */
export const ERROR_CODES = {
  ENVELOPE_INVALID: "The run envelope failed validation.",
  RELEASE_NOT_FOUND: "The named release does not exist.",
  RELEASE_INVALID: "A release file failed validation.",
  POLICY_INVALID: "A policy file failed validation.",
  POLICY_DENIED: "Policy denied the action.",
  TOOL_UNKNOWN: "The model asked for a tool that is not registered.",
  TOOL_INPUT_INVALID: "Tool arguments failed the tool's input schema.",
  TOOL_OUTPUT_INVALID: "A tool returned output that failed its output schema.",
  TOOL_PERMISSION_DENIED: "The actor lacks a permission the tool requires.",
  TOOL_TIMEOUT: "The tool did not finish within its timeout.",
  TOOL_TRANSIENT: "The tool failed in a way that may succeed on retry.",
  TOOL_FAILED: "The tool failed permanently.",
  TOOL_UNAUTHORIZED_EFFECT: "A side-effecting tool was called without a recorded allow or approval.",
  TOOL_ABORTED: "The run was stopped (cancel, shutdown, lost lease) while a tool ran; the attempt was abandoned.",
  APPROVAL_NOT_FOUND: "No such approval (or it belongs to another tenant).",
  APPROVAL_CONFLICT: "The approval was already decided.",
  APPROVAL_MISMATCH: "The decision does not match the pending approval (id or argument hash).",
  APPROVAL_FORBIDDEN: "The approver lacks the approver role or is the requester (four-eyes).",
  RUN_NOT_FOUND: "No such run (or it belongs to another tenant).",
  RUN_NOT_WAITING: "The run is not waiting for an approval.",
  THREAD_NOT_FOUND: "No such thread (or it belongs to another tenant).",
  RUN_NOT_FAILED: "Only a failed run can be recovered.",
  RUN_FINISHED: "The run has already finished; there is nothing left to cancel.",
  SCHEDULE_NOT_FOUND: "No such schedule (or it belongs to another tenant).",
  THREAD_BUSY: "Another run on this thread is still running or waiting for an approval.",
  STORE_LOCKED: "The embedded database directory is in use by another process.",
  STORE_UNAVAILABLE: "The database cannot be reached.",
  MODEL_ERROR: "The language model call failed.",
  // Rollback switches (flags) and releases.
  RUNTIME_DISABLED: "The runtime is switched off for this tenant (a rollback flag); retry later.",
  ROUTE_DISABLED: "The route this request needs is switched off (a rollback flag) and has no fallback.",
  // Evals and promotion.
  DATASET_INVALID: "An eval dataset (evals/datasets/*.jsonl) or the gate's thresholds failed validation.",
  CONFIG_INVALID: "warden.config.ts is missing or does not export defineConfig({ packs }).",
  // Scaffolding (`warden new pack`).
  PACK_NAME_INVALID: "The new pack's name is not lower-case letters with single underscores between words.",
  PACK_EXISTS: "A pack of that name, or a file the new pack would write, exists already.",
  EVAL_GATE_REQUIRED: "The release's current content has no passing eval: run `warden eval` first (or force, audited).",
  EVAL_GATE_FAILED: "The latest eval of the release's current content failed its gate (or force, audited).",
  // Long-term memory.
  MEMORY_NOT_FOUND: "No such memory entry (or it belongs to another tenant).",
  MEMORY_INVALID: "A memory write or correction is malformed (empty subject or content, bad kind).",
  // Webhooks.
  WEBHOOK_URL_REFUSED: "The webhook URL may not be called (scheme, credentials, or a private address).",
  // HTTP API (the server maps these and the codes above to statuses in one place).
  VALIDATION_FAILED: "The request body, query or path parameters are invalid.",
  UNAUTHENTICATED: "Missing, malformed or unknown API key.",
  FORBIDDEN: "The API key lacks the role this route needs.",
  NOT_FOUND: "No such resource.",
  BODY_TOO_LARGE: "The request body is larger than allowed.",
  REQUEST_TIMEOUT: "The request (its headers or body) did not arrive within the server's deadline.",
  UNSUPPORTED_MEDIA_TYPE: "The request body must be JSON (application/json).",
  IDEMPOTENCY_MISMATCH: "The Idempotency-Key was used before with a different request.",
  IDEMPOTENCY_IN_FLIGHT: "A request with this Idempotency-Key is still being processed.",
  RATE_LIMITED: "Too many requests for this API key; retry later.",
  INTERNAL: "An unexpected server error.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class WardenError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, options?: { details?: unknown; cause?: unknown }) {
    super(message ?? ERROR_CODES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WardenError";
    this.code = code;
    this.details = options?.details;
  }
}

export function isWardenError(error: unknown, code?: ErrorCode): error is WardenError {
  return error instanceof WardenError && (code === undefined || error.code === code);
}
