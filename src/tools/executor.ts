import type { z } from "zod";
import { isWardenError } from "../errors.js";
import type { Queryable } from "../store/db.js";
import { hashArgs } from "./args-hash.js";
import { effectRefusal } from "./authorize-effect.js";
import { createEffectLedger, type EffectError, type EffectLedger } from "./effect-ledger.js";
import type { ToolRegistry } from "./registry.js";
import { backoffDelay, classifyFailure, runWithTimeout, type ToolFailure } from "./tool-attempt.js";
import type { RetryOptions, ToolCallRequest, ToolCallScope, ToolDefinition, ToolResult } from "./types.js";

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_BACKOFF_MS = 50;

export interface ToolExecutorOptions {
  registry: ToolRegistry;
  /** Tenant data access handed to tools as `ctx.db`, and the effect ledger's database. */
  db: Queryable;
  /** Defaults to a ledger on `db`. */
  ledger?: EffectLedger;
  /** Backoff between retries; injectable so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Clock for `latency_ms`, in milliseconds. */
  now?: () => number;
  /** Jitter source in [0, 1). */
  random?: () => number;
}

export interface ToolExecutor {
  /**
   * Runs one tool call: validate → permissions → authorization (effect tools) → effect ledger → execute with
   * timeout and retries → validate output → record. Never throws for tool problems: every outcome is a
   * `ToolResult`, and exactly one `tool.call` trace event is emitted.
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

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "(arguments)"}: ${issue.message}`).join("; ");
}

function failed(code: string, message: string, permanent: boolean, status: TraceStatus = "error", effectId?: string): Outcome {
  const result: ToolResult = { status: "error", error: { code, message }, permanent };
  if (effectId) result.effectId = effectId;
  return { result, status };
}

/**
 * Creates the tool executor used by the tools node and workflow steps.
 *
 * @example
 * const executor = createToolExecutor({ registry, db: store.db });
 * const result = await executor.execute({ id: "call_1", name: "lookup_order", args: { order_id: "A-1001" } }, scope);
 */
export function createToolExecutor(options: ToolExecutorOptions): ToolExecutor {
  const { registry, db } = options;
  const ledger = options.ledger ?? createEffectLedger(db);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? (() => performance.now());
  const random = options.random ?? Math.random;

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

    const effect = isEffectTool(tool);
    let effectId: string | undefined;
    if (effect) {
      const refusal = effectRefusal(scope.authorization, argsHash);
      if (refusal) return failed("TOOL_UNAUTHORIZED_EFFECT", `${tool.name} refused: ${refusal}`, true, "denied");
      try {
        const begun = await ledger.begin({ tenant: scope.tenant, runId: scope.runId, toolCallId: call.id, tool: tool.name, argsHash });
        effectId = begun.effectId;
        attributes.effect_id = effectId;
        if (begun.state === "completed") {
          return { result: { status: "ok", output: begun.result, effectId, replayed: true }, status: "replayed" };
        }
        if (begun.state === "failed" && !begun.error?.retryable) {
          attributes.replayed = true;
          const error = begun.error ?? { code: "TOOL_FAILED", message: "recorded as failed", permanent: true };
          return failed(error.code, error.message, error.permanent, "error", effectId);
        }
        // "started": a crash mid-effect or a concurrent execution. Running again with the same idempotency key is
        // safe because the provider dedupes on it; "failed" but retryable: a transient failure worth another go.
        if (begun.state !== "new") await ledger.attempt(scope.tenant, effectId);
      } catch (error) {
        if (isWardenError(error, "TOOL_UNAUTHORIZED_EFFECT")) return failed(error.code, error.message, true, "denied");
        return failed("TOOL_FAILED", `effect ledger unavailable: ${(error as Error).message}`, true);
      }
    }

    const retry = retryOptions(tool);
    const timeoutMs = tool.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let retries = 0;
    let failure: ToolFailure;
    // Nominal cost of a call that reached the tool (denied, invalid and replayed calls cost nothing).
    if (tool.cost !== undefined) attributes.cost = tool.cost;
    for (let attempt = 1; ; attempt++) {
      let raw: unknown;
      try {
        raw = await runWithTimeout(
          (signal) =>
            tool.execute(parsed.data, {
              tenant: scope.tenant,
              actor: scope.actor,
              runId: scope.runId,
              toolCallId: call.id,
              ...(effectId ? { effectId } : {}),
              signal,
              db,
              attempt,
            }),
          timeoutMs,
        );
      } catch (error) {
        failure = classifyFailure(error);
        if (failure.retryable && retries < retry.retries) {
          retries++;
          attributes.retries = retries;
          await sleep(backoffDelay(retry.backoffMs, retries, random));
          if (effectId) await ledger.attempt(scope.tenant, effectId).catch(() => {});
          continue;
        }
        break;
      }
      const output = tool.output.safeParse(raw);
      if (!output.success) {
        failure = { code: "TOOL_OUTPUT_INVALID", message: `${tool.name} returned invalid output: ${formatIssues(output.error)}`, retryable: false, recoverable: false };
        break;
      }
      if (effectId) {
        try {
          await ledger.complete(scope.tenant, effectId, output.data);
        } catch (error) {
          // The effect happened: report it. The row stays "started", so a re-run executes again with the same
          // idempotency key and the provider returns the same effect.
          attributes.ledger_error = (error as Error).message;
        }
      }
      const result: ToolResult = { status: "ok", output: output.data, replayed: false };
      if (effectId) result.effectId = effectId;
      return { result, status: "ok" };
    }

    // Exhausted retries escalate; an error the agent can fix goes back to the model.
    const permanent = failure.retryable || !failure.recoverable;
    if (effectId) {
      const recorded: EffectError = { code: failure.code, message: failure.message, retryable: failure.retryable, permanent };
      await ledger.fail(scope.tenant, effectId, recorded).catch((error: Error) => (attributes.ledger_error = error.message));
    }
    return failed(failure.code, failure.message, permanent, "error", effectId);
  }

  return {
    async execute(call, scope) {
      const started = now();
      const attributes: Record<string, unknown> = {
        "gen_ai.tool.name": call.name,
        "gen_ai.tool.call.id": call.id,
        origin: scope.origin,
        retries: 0,
      };
      let outcome: Outcome;
      try {
        outcome = await run(call, scope, attributes);
      } catch (error) {
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
