/** Options that say who can fix a tool failure: time (`retryable`), the agent (`recoverable`), or nobody. */
export interface ToolErrorOptions {
  /** Transient (a timeout, a 503, a lock): the executor retries with backoff; after the last retry it escalates. */
  retryable?: boolean;
  /** The agent can fix it (e.g. `ORDER_NOT_FOUND`): the error goes back to the model, not to a human. */
  recoverable?: boolean;
  cause?: unknown;
}

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * The error a tool throws to say how its failure should be handled. Codes are the tool's own
 * (`ORDER_NOT_FOUND`), not `WardenError` codes: they describe the domain, and the executor reports them as is.
 * Anything else a tool throws is a permanent `TOOL_FAILED`.
 *
 * @example
 * throw new ToolError("ITEM_NOT_FOUND", `No item ${id}.`, { recoverable: true });
 */
export class ToolError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly recoverable: boolean;

  constructor(code: string, message: string, options: ToolErrorOptions = {}) {
    if (!CODE.test(code)) throw new TypeError(`invalid ToolError code: ${JSON.stringify(code)} (expected UPPER_SNAKE_CASE)`);
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ToolError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.recoverable = options.recoverable ?? false;
  }
}

export function isToolError(error: unknown, code?: string): error is ToolError {
  return error instanceof ToolError && (code === undefined || error.code === code);
}
