import { isWardenError } from "../errors.js";

// Errors of the Postgres client or PGlite that mean "the database is gone", not "the query is wrong":
// network errors, SQLSTATE classes 08 (connection exception) and 57P (operator intervention), 53300.
const CONNECTION_ERROR_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EPIPE", "EHOSTUNREACH", "EAI_AGAIN", "53300"]);
const CONNECTION_ERROR_MESSAGE =
  /PGlite is closed|Cannot use a pool after calling end|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused/i;

/** True when `error` (or one of its causes) says the database cannot be reached. */
export function isStoreUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== "object") return false;
    const { code, message, errors } = current as { code?: unknown; message?: unknown; errors?: unknown };
    if (isWardenError(current, "STORE_UNAVAILABLE") || isWardenError(current, "STORE_LOCKED")) return true;
    if (typeof code === "string" && (CONNECTION_ERROR_CODES.has(code) || code.startsWith("08") || code.startsWith("57P"))) return true;
    if (typeof message === "string" && CONNECTION_ERROR_MESSAGE.test(message)) return true;
    // pg reports a refused dual-stack connect as an AggregateError of per-address errors.
    if (Array.isArray(errors) && errors.some((inner) => isStoreUnavailable(inner))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}


/** Postgres' unique_violation, SQLSTATE 23505 (a second active run on a thread, an idempotency key used before, a trace seq taken). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}
