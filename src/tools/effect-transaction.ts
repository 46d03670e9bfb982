import { isStoreUnavailable } from "../store/store-errors.js";
import { isWardenError } from "../errors.js";
import type { Db, Queryable } from "../store/db.js";
import { startEffectTransaction } from "../store/effect-transaction.js";
import { decideAtEffect } from "./effect-decision.js";
import { formatIssues } from "./format-issues.js";
import { createEffectLedger, type BeginEffect, type EffectError } from "./effect-ledger.js";
import { classifyFailure, isPermanent, runWithTimeout, stoppedFailure, type ToolFailure } from "./tool-attempt.js";
import type { Denial, EffectPolicy, ToolCallRequest, ToolCallScope, ToolDefinition } from "./types.js";

/** What the effect transaction needs from the database: statements, and a transaction on one connection. */
export type TransactionalDb = Pick<Db, "query" | "transaction">;

export interface EffectAttemptRequest {
  tool: ToolDefinition;
  call: ToolCallRequest;
  /** The arguments as the tool's input schema parsed them. */
  input: unknown;
  argsHash: string;
  scope: ToolCallScope;
  policy: EffectPolicy;
  /** 1 for the first attempt of this execution. */
  attempt: number;
  timeoutMs: number;
  /** The `tool.call` event's attributes: the attempt adds `effect_id`, `cost`, `replayed`, `ledger_error`. */
  attributes: Record<string, unknown>;
}

export type EffectAttemptOutcome =
  | { kind: "ok"; effectId: string; output: unknown }
  | { kind: "replayed"; effectId: string; output: unknown }
  /** A recorded permanent failure (a policy denial among them), replayed without executing. */
  | { kind: "replayed_failure"; effectId: string; error: EffectError }
  | { kind: "denied"; effectId: string; denial: Denial; message: string }
  | { kind: "failed"; effectId: string; failure: ToolFailure }
  /** The tool call id was used before with another tool or other arguments (invariant 1). */
  | { kind: "refused"; message: string }
  /** The ledger or the transaction itself failed: nothing is known to have happened, nothing was recorded. */
  | { kind: "unavailable"; message: string; cause: unknown };

/** Carries an attempt's outcome out of `db.transaction`, so the transaction rolls back. */
class AttemptEnded extends Error {
  constructor(
    readonly outcome: EffectAttemptOutcome,
    readonly recorded?: EffectError,
  ) {
    super("effect attempt ended");
  }
}

const denialError = (denial: Denial, message: string): EffectError => ({ code: "POLICY_DENIED", message, retryable: false, permanent: true, denial });

/**
 * The tool's view of the transaction, closed when its attempt ends: a tool abandoned after a timeout that
 * queries later must not write into the next statement's transaction, or into another caller's connection.
 */
function attemptDb(tx: Queryable): { db: Queryable; close(): void } {
  let open = true;
  const db: Queryable = {
    query<Row>(text: string, params?: unknown[]) {
      if (!open) return Promise.reject(new Error("the effect's transaction has ended: this attempt was abandoned"));
      return tx.query<Row>(text, params);
    },
  };
  return { db, close: () => void (open = false) };
}

/**
 * One attempt of a write/irreversible call as ONE transaction (invariants 2 and 10): business-key lock →
 * ledger claim (completed → replay; failed and not retryable → replay the failure) → policy decided again with
 * fresh facts → the tool, with `ctx.db` = the transaction → output validated → ledger completed → COMMIT. The
 * effect and its ledger record commit together, or neither does.
 *
 * Anything else rolls back, and the failure is then recorded with an upsert (the claimed row rolled back too).
 * Inside the transaction nothing may use `db` itself: on PGlite the transaction holds its only connection.
 */
export async function runEffectAttempt(db: TransactionalDb, request: EffectAttemptRequest): Promise<EffectAttemptOutcome> {
  const { tool, call, scope, attributes } = request;
  const effect: BeginEffect = { tenant: scope.tenant, runId: scope.runId, toolCallId: call.id, tool: tool.name, argsHash: request.argsHash };
  let attempts = 0;
  try {
    return await db.transaction(async (tx) => {
      const key = tool.serializeBy?.(request.input);
      const timeout = String(Math.ceil(request.timeoutMs));
      // The business-key lock first: everything after it sees every effect on the key committed before.
      await startEffectTransaction(tx, timeout, key === undefined ? undefined : JSON.stringify([scope.tenant, key]));

      const ledger = createEffectLedger(tx);
      let begun;
      try {
        begun = await ledger.begin(effect);
      } catch (error) {
        if (isWardenError(error, "TOOL_UNAUTHORIZED_EFFECT")) throw new AttemptEnded({ kind: "refused", message: error.message });
        throw error;
      }
      const { effectId } = begun;
      attributes.effect_id = effectId;
      attempts = begun.attempts;
      if (begun.state === "completed") return { kind: "replayed", effectId, output: begun.result };
      if (begun.state === "failed" && !begun.error?.retryable) {
        attributes.replayed = true;
        const error = begun.error ?? { code: "TOOL_FAILED", message: "recorded as failed", retryable: false, permanent: true };
        return { kind: "replayed_failure", effectId, error };
      }
      // "started" (written by an execution outside this protocol, which may have reached the provider) or failed
      // but retryable: run again with the same idempotency key, which the provider dedupes on.
      if (begun.state !== "new") attempts = await ledger.attempt(scope.tenant, effectId);

      const refusal = await decideAtEffect(tx, { ...request, effectId });
      if (refusal) {
        const outcome: EffectAttemptOutcome = { kind: "denied", effectId, ...refusal };
        throw new AttemptEnded(outcome, denialError(refusal.denial, refusal.message));
      }

      // Nominal cost of a call that reached the tool (denied, invalid and replayed calls cost nothing).
      if (tool.cost !== undefined) attributes.cost = tool.cost;
      const view = attemptDb(tx);
      let raw: unknown;
      try {
        raw = await runWithTimeout(
          (signal) =>
            tool.execute(request.input, {
              tenant: scope.tenant,
              actor: scope.actor,
              runId: scope.runId,
              toolCallId: call.id,
              effectId,
              signal,
              db: view.db,
              attempt: request.attempt,
            }),
          request.timeoutMs,
          scope.signal,
        );
      } catch (error) {
        // The database went away under the tool (its statements run on this transaction): not the tool's failure.
        // The transaction is lost either way; the run's attempt fails and is retried from its last checkpoint.
        if (!scope.signal?.aborted && isStoreUnavailable(error)) throw error;
        // Whatever a tool throws once the run was told to stop, it is the stop: retryable for a resumed run.
        const failure = scope.signal?.aborted ? stoppedFailure() : classifyFailure(error);
        throw new AttemptEnded({ kind: "failed", effectId, failure }, recordOf(failure));
      } finally {
        view.close();
      }
      const output = tool.output.safeParse(raw);
      if (!output.success) {
        const failure: ToolFailure = { code: "TOOL_OUTPUT_INVALID", message: `${tool.name} returned invalid output: ${formatIssues(output.error)}`, retryable: false, recoverable: false };
        throw new AttemptEnded({ kind: "failed", effectId, failure }, recordOf(failure));
      }
      await ledger.complete(scope.tenant, effectId, output.data);
      return { kind: "ok", effectId, output: output.data };
    });
  } catch (error) {
    if (!(error instanceof AttemptEnded)) {
      return { kind: "unavailable", message: `effect transaction failed: ${error instanceof Error ? error.message : String(error)}`, cause: error };
    }
    if (error.recorded) {
      await createEffectLedger(db)
        .recordFailure(effect, error.recorded, attempts)
        .catch((failure: Error) => (attributes.ledger_error = failure.message));
    }
    return error.outcome;
  }
}

function recordOf(failure: ToolFailure): EffectError {
  return { code: failure.code, message: failure.message, retryable: failure.retryable, permanent: isPermanent(failure) };
}
