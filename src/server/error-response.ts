import { ERROR_CODES, isWardenError, type ErrorCode } from "../errors.js";
import { isStoreUnavailable } from "../store/store-errors.js";
import { codeOfStatus, httpStatusOf } from "./http-status.js";

export { isStoreUnavailable };

/** The one error body of the API. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** What the error handler sends, and whether the error is the server's fault (then it is logged as such). */
export interface ErrorReply {
  statusCode: number;
  body: ErrorBody;
  /** True for 5xx: log it with its stack; the client saw only a generic message. */
  serverFault: boolean;
}

// 5xx codes shown as they are (with their generic text): they tell the client what to do (retry later), not
// how the server works. A WardenError STORE_UNAVAILABLE keeps its message: only the server's own checks raise it.
const VISIBLE_SERVER_CODES = new Set<ErrorCode>(["STORE_UNAVAILABLE", "MODEL_ERROR"]);
// Rollback switches: the runtime's own message (which switch, the operator's reason) is meant for the client.
const SWITCHED_OFF_CODES = new Set<ErrorCode>(["RUNTIME_DISABLED", "ROUTE_DISABLED"]);

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: Array<{ instancePath?: string; message?: string }>;
  validationContext?: string;
}

// Fastify's own error codes a client can cause, with the message we show for them.
const FASTIFY_CLIENT_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: "BODY_TOO_LARGE", message: "The request body is larger than allowed." },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: "UNSUPPORTED_MEDIA_TYPE", message: ERROR_CODES.UNSUPPORTED_MEDIA_TYPE },
  FST_ERR_CTP_EMPTY_TYPE: { code: "UNSUPPORTED_MEDIA_TYPE", message: ERROR_CODES.UNSUPPORTED_MEDIA_TYPE },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: "VALIDATION_FAILED", message: "The Content-Length header does not match the body." },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "VALIDATION_FAILED", message: "The request body is not valid JSON." },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: "VALIDATION_FAILED", message: "The request body is empty; send a JSON object." },
  FST_ERR_BAD_URL: { code: "VALIDATION_FAILED", message: "The request URL is malformed." },
  FST_ERR_MAX_PARAM_LENGTH: { code: "VALIDATION_FAILED", message: "A path parameter is too long." },
};

/** `{path, message}` for each failing field of a schema validation error, e.g. `body.goal`. */
function validationDetails(error: FastifyLikeError): Array<{ path: string; message: string }> {
  const context = error.validationContext ?? "request";
  return (error.validation ?? []).map((issue) => {
    const field = (issue.instancePath ?? "").split("/").filter(Boolean).join(".");
    return { path: field ? `${context}.${field}` : context, message: issue.message ?? "is invalid" };
  });
}

function reply(statusCode: number, code: string, message: string, details?: unknown): ErrorReply {
  return {
    statusCode,
    body: { error: { code, message, ...(details === undefined ? {} : { details }) } },
    serverFault: statusCode >= 500,
  };
}

/**
 * Maps anything thrown in a request to the API's error shape. A WardenError keeps its code (status from
 * http-status.ts); Fastify's client errors become VALIDATION_FAILED, BODY_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE...;
 * an unreachable database is 503 STORE_UNAVAILABLE; anything else is 500 INTERNAL with a generic message
 * (the stack is logged, never sent).
 */
export function toErrorReply(error: unknown): ErrorReply {
  if (isWardenError(error)) {
    const status = httpStatusOf(error.code);
    if (status < 500) return reply(status, error.code, error.message, error.details);
    if (error.code === "STORE_LOCKED") return reply(status, "STORE_UNAVAILABLE", ERROR_CODES.STORE_UNAVAILABLE);
    if (error.code === "STORE_UNAVAILABLE" || SWITCHED_OFF_CODES.has(error.code)) return reply(status, error.code, error.message);
    if (VISIBLE_SERVER_CODES.has(error.code)) return reply(status, error.code, ERROR_CODES[error.code]);
    return reply(500, "INTERNAL", ERROR_CODES.INTERNAL);
  }
  if (isStoreUnavailable(error)) return reply(503, "STORE_UNAVAILABLE", ERROR_CODES.STORE_UNAVAILABLE);
  const fastifyError = (typeof error === "object" && error !== null ? error : {}) as FastifyLikeError;
  if (Array.isArray(fastifyError.validation)) {
    return reply(400, "VALIDATION_FAILED", "The request is invalid; see details for the failing fields.", validationDetails(fastifyError));
  }
  const known = typeof fastifyError.code === "string" ? FASTIFY_CLIENT_ERRORS[fastifyError.code] : undefined;
  if (known) {
    const status = httpStatusOf(known.code);
    return reply(status, known.code, known.message);
  }
  const status = typeof fastifyError.statusCode === "number" ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Another client error raised by Fastify or a plugin: keep its status, give it our code.
    const code = codeOfStatus(status);
    return reply(status, code, status === 429 ? ERROR_CODES.RATE_LIMITED : ERROR_CODES[code]);
  }
  return reply(500, "INTERNAL", ERROR_CODES.INTERNAL);
}
