import { hashArgs } from "./args-hash.js";
import { effectRefusal } from "./authorize-effect.js";
import { runEffectAttempt, type TransactionalDb } from "./effect-transaction.js";
import { formatIssues } from "./format-issues.js";
import type { ToolRegistry } from "./registry.js";
import { backoffDelay, classifyFailure, isPermanent, runWithTimeout, stoppedFailure, type ToolFailure } from "./tool-attempt.js";
import type { Denial, EffectPolicy, RetryOptions, ToolCallRequest, ToolCallScope, ToolDefinition, ToolResult } from "./types.js";

/** An effect's transaction failed for infrastructure reasons: thrown out of the executor, so the run attempt fails. */
class EffectInterrupted extends Error {
  constructor(message: string, override readonly cause: unknown) {
    super(message);
    this.name = "EffectInterrupted";
  }
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_BACKOFF_MS = 50;

export interface ToolExecutorOptions {
  registry: ToolRegistry;
  /**
   * Tenant data access handed to read tools as `ctx.db`, and where effects run: each attempt of a write or
   * irreversible call is one transaction on it (the effect ledger, policy's facts and the tool's writes).
   */
  db: TransactionalDb;
  /** Backoff between retries; injectable so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Clock for `latency_ms`, in milliseconds. */
  now?: () => number;
  /** Jitter source in [0, 1). */
  random?: () => number;
}

export interface ToolExecutor {
  /**
   * Runs one tool call: validate → permissions → authorization (effect tools) → execute with timeout and
   * retries → validate output. Effect tools run each attempt in one transaction that locks the business key,
   * claims the effect ledger entry, decides policy again with fresh facts and executes (see
   * `runEffectAttempt`). Never throws for tool problems: every outcome is a `ToolResult`, and exactly one
   * `tool.call` trace event is emitted.
   */
  execute(call: ToolCallRequest, scope: ToolCallScope): Promise<ToolResult>;
}

type TraceStatus = "ok" | "error" | "denied" | "replayed";

interface Outcome {
  result: ToolResult;
  status: TraceStatus;
}

const isEffectTool = (tool: ToolDefinition) => tool.sideEffect === "write" || tool.sideEffect === "irreversible";

/** The contract's defaults: effect tools do not retry unless they opt in (their provider must dedupe by key). */
function retryOptions(tool: ToolDefinition): RetryOptions {
  return {
    retries: tool.retry?.retries ?? (isEffectTool(tool) ? 0 : 2),
    backoffMs: tool.retry?.backoffMs ?? DEFAULT_BACKOFF_MS,
  };
}

function failed(code: string, message: string, permanent: boolean, status: TraceStatus = "error", effectId?: string, denial?: Denial): Outcome {
  const result: ToolResult = { status: "error", error: { code, message }, permanent };
  if (effectId) result.effectId = effectId;
  if (denial) result.denial = denial;
  return { result, status };
}

const succeeded = (output: unknown, replayed: boolean, effectId?: string): Outcome => ({
  result: { status: "ok", output, replayed, ...(effectId ? { effectId } : {}) },
  status: replayed ? "replayed" : "ok",
});

/**
 * Creates the tool executor used by the tools node and workflow steps.
 *
 * @example
 * const executor = createToolExecutor({ registry, db: store.db });
 * const result = await executor.execute({ id: "call_1", name: "check_stock", args: { sku: "SKU-42" } }, scope);
 */
export function createToolExecutor(options: ToolExecutorOptions): ToolExecutor {
  const { registry, db } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? (() => performance.now());
  const random = options.random ?? Math.random;

  /** Waits before retry `retries`; false when there is none left or the run is stopping. */
  async function backoff(tool: ToolDefinition, failure: ToolFailure, retries: number, scope: ToolCallScope): Promise<boolean> {
    const retry = retryOptions(tool);
    if (!failure.retryable || retries >= retry.retries || scope.signal?.aborted) return false;
    await sleep(backoffDelay(retry.backoffMs, retries + 1, random));
    return true;
  }

  async function runRead(tool: ToolDefinition, call: ToolCallRequest, input: unknown, scope: ToolCallScope, attributes: Record<string, unknown>): Promise<Outcome> {
    const timeoutMs = tool.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // Nominal cost of a call that reached the tool (denied, invalid and replayed calls cost nothing).
    if (tool.cost !== undefined) attributes.cost = tool.cost;
    let failure: ToolFailure;
    for (let attempt = 1; ; attempt++) {
      try {
        const context = { tenant: scope.tenant, actor: scope.actor, runId: scope.runId, toolCallId: call.id, db, attempt };
        const raw = await runWithTimeout((signal) => tool.execute(input, { ...context, signal }), timeoutMs, scope.signal);
        const output = tool.output.safeParse(raw);
        if (output.success) return succeeded(output.data, false);
        failure = { code: "TOOL_OUTPUT_INVALID", message: `${tool.name} returned invalid output: ${formatIssues(output.error)}`, retryable: false, recoverable: false };
        break;
      } catch (error) {
        failure = scope.signal?.aborted ? stoppedFailure() : classifyFailure(error);
        if (!(await backoff(tool, failure, attempt - 1, scope))) break;
        attributes.retries = attempt;
      }
    }
    // Exhausted retries escalate; an error the agent can fix goes back to the model.
    return failed(failure.code, failure.message, isPermanent(failure));
  }

  async function runEffect(
    tool: ToolDefinition,
    call: ToolCallRequest,
    input: unknown,
    argsHash: string,
    scope: ToolCallScope,
    policy: EffectPolicy,
    attributes: Record<string, unknown>,
  ): Promise<Outcome> {
    const timeoutMs = tool.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // The decisions and approvals that authorise this effect are stored before it happens: a crash right after the
    // effect must not leave an effect without its authorisation in the trace (invariant 1, read back by the evals).
    await scope.trace.flush().catch(() => {});
    for (let attempt = 1; ; attempt++) {
      // A run told to stop starts no new effect; a previous attempt's failure is already recorded as retryable.
      if (scope.signal?.aborted) {
        const stopped = stoppedFailure();
        return failed(stopped.code, stopped.message, true, "error", attributes.effect_id as string | undefined);
      }
      const outcome = await runEffectAttempt(db, { tool, call, input, argsHash, scope, policy, attempt, timeoutMs, attributes });
      switch (outcome.kind) {
        case "ok":
          return succeeded(outcome.output, false, outcome.effectId);
        case "replayed":
          return succeeded(outcome.output, true, outcome.effectId);
        case "replayed_failure": {
          const { code, message, permanent, denial } = outcome.error;
          return failed(code, message, permanent, denial ? "denied" : "error", outcome.effectId, denial);
        }
        case "denied":
          return failed("POLICY_DENIED", outcome.message, true, "denied", outcome.effectId, outcome.denial);
        case "refused":
          return failed("TOOL_UNAUTHORIZED_EFFECT", outcome.message, true, "denied");
        case "unavailable":
          // The transaction itself failed (a dropped connection, a statement timeout): it rolled back, so nothing
          // happened, and nothing about the call is wrong. Not a tool result: the run's attempt fails and is
          // retried from its last checkpoint (or, with the database gone, recovered when it is back).
          throw new EffectInterrupted(outcome.message, outcome.cause);
        case "failed":
          if (await backoff(tool, outcome.failure, attempt - 1, scope)) {
            attributes.retries = attempt;
            continue;
          }
          return failed(outcome.failure.code, outcome.failure.message, isPermanent(outcome.failure), "error", outcome.effectId);
      }
    }
  }

  async function run(call: ToolCallRequest, scope: ToolCallScope, attributes: Record<string, unknown>): Promise<Outcome> {
    let argsHash: string;
    try {
      argsHash = hashArgs(call.args);
    } catch (error) {
      return failed("TOOL_INPUT_INVALID", `arguments are not JSON: ${(error as Error).message}`, false);
    }
    attributes.args_hash = argsHash;

    const tool = registry.get(call.name);
    if (!tool) return failed("TOOL_UNKNOWN", `unknown tool "${call.name}" (available: ${registry.names().join(", ")})`, false);
    attributes.side_effect = tool.sideEffect;

    const parsed = tool.input.safeParse(call.args);
    if (!parsed.success) return failed("TOOL_INPUT_INVALID", `invalid arguments for ${tool.name}: ${formatIssues(parsed.error)}`, false);

    const missing = tool.permissions.filter((permission) => !scope.permissions.includes(permission));
    if (missing.length) {
      return failed("TOOL_PERMISSION_DENIED", `${scope.actor} lacks ${missing.join(", ")} required by ${tool.name}`, true, "denied");
    }

    if (!isEffectTool(tool)) return runRead(tool, call, parsed.data, scope, attributes);
    const refusal = effectRefusal(scope.authorization, argsHash);
    if (refusal) return failed("TOOL_UNAUTHORIZED_EFFECT", `${tool.name} refused: ${refusal}`, true, "denied");
    // Fail closed: an effect is decided again at its moment, and without the run's policy it cannot be.
    if (!scope.policy) return failed("TOOL_UNAUTHORIZED_EFFECT", `${tool.name} refused: no policy engine in scope to decide the call at the moment of its effect`, true, "denied");
    return runEffect(tool, call, parsed.data, argsHash, scope, scope.policy, attributes);
  }

  return {
    async execute(call, scope) {
      const started = now();
      const attributes: Record<string, unknown> = {
        "gen_ai.tool.name": call.name,
        "gen_ai.tool.call.id": call.id,
        // The call's arguments (redacted with the rest of the event): evals match trajectories on them, and an
        // operator reading the trace sees what was asked, not only a hash.
        ...(isPlainObject(call.args) ? { "gen_ai.tool.call.arguments": call.args } : {}),
        origin: scope.origin,
        retries: 0,
      };
      let outcome: Outcome;
      try {
        outcome = await run(call, scope, attributes);
      } catch (error) {
        if (error instanceof EffectInterrupted) {
          scope.trace.emit("tool.call", { ...attributes, status: "error", error_code: "EFFECT_INTERRUPTED", error_message: error.message, latency_ms: Math.max(0, Math.round(now() - started)) }, scope.node);
          throw error.cause instanceof Error ? error.cause : error;
        }
        // Only a bug gets here (every expected failure is an Outcome); still answer and still trace.
        outcome = failed("TOOL_FAILED", `executor error: ${(error as Error).message}`, true);
      }
      attributes.status = outcome.status;
      attributes.latency_ms = Math.max(0, Math.round(now() - started));
      if (outcome.result.status === "error") {
        attributes.error_code = outcome.result.error.code;
        attributes.error_message = outcome.result.error.message;
      }
      scope.trace.emit("tool.call", attributes, scope.node);
      return outcome.result;
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
