import { WardenError } from "../errors.js";
import type { Queryable } from "../store/db.js";
import {
  claimToolEffect,
  completeToolEffect,
  countToolEffectAttempt,
  failToolEffect,
  listToolEffects,
  recordToolEffectFailure,
} from "../store/tool-effects.js";
import { effectIdFor } from "./args-hash.js";
import type { Denial } from "./types.js";

/** A recorded failure: enough to replay it and to know whether running the call again could help. */
export interface EffectError {
  code: string;
  message: string;
  /** The last attempt failed transiently: executing again (same idempotency key) is worth it. */
  retryable: boolean;
  /** Mirrors `ToolResult.permanent` of the call that recorded it. */
  permanent: boolean;
  /** Policy refused the call at the moment of the effect (code `POLICY_DENIED`): a replay refuses it again. */
  denial?: Denial;
}

export type EffectState = "new" | "started" | "completed" | "failed";

export interface EffectBegin {
  effectId: string;
  /** `new`: this call created the row. `started`: another execution began and did not finish (crash or race). */
  state: EffectState;
  result?: unknown;
  error?: EffectError;
  /** Executions counted so far, including the one `begin` counts for a new row. */
  attempts: number;
}

export interface EffectRecord {
  effectId: string;
  runId: string;
  toolCallId: string;
  tool: string;
  argsHash: string;
  status: "started" | "completed" | "failed";
  result: unknown;
  error: EffectError | null;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface BeginEffect {
  tenant: string;
  runId: string;
  toolCallId: string;
  tool: string;
  argsHash: string;
}

/**
 * The effect ledger (invariant 2): one `tool_effects` row per side-effecting tool call, keyed by
 * (tenant, run, tool call). Every statement filters by tenant.
 */
export interface EffectLedger {
  /**
   * Claims or finds the call's row in one statement. A new row starts as `started` with attempts = 1.
   * Throws `TOOL_UNAUTHORIZED_EFFECT` when the tool call id was already used with another tool or other args.
   */
  begin(effect: BeginEffect): Promise<EffectBegin>;
  /** Records the (validated) output. */
  complete(tenant: string, effectId: string, result: unknown): Promise<void>;
  /** Records a failure; never overwrites a completed effect (a concurrent execution may have finished it). */
  fail(tenant: string, effectId: string, error: EffectError): Promise<void>;
  /**
   * Records the failure of an execution whose transaction rolled back, taking the row `begin` claimed with it:
   * inserts the row as failed, or updates an earlier one (attempts never decrease). Like `fail`, it never
   * overwrites a completed effect.
   */
  recordFailure(effect: BeginEffect, error: EffectError, attempts: number): Promise<void>;
  /** Counts one more execution (a retry, or a re-execution of a started / retryably failed row). */
  attempt(tenant: string, effectId: string): Promise<number>;
  /** The run's effects, oldest first. */
  list(tenant: string, runId: string): Promise<EffectRecord[]>;
}

/** @param db tenant data access (a `Db`, or a transaction). */
export function createEffectLedger(db: Queryable): EffectLedger {
  return {
    async begin(effect) {
      const effectId = effectIdFor(effect.tenant, effect.runId, effect.toolCallId);
      const row = await claimToolEffect(db, { ...keyOf(effect), effectId });
      if (!row) throw new Error("tool_effects upsert returned no row");
      if (row.args_hash !== effect.argsHash || row.tool !== effect.tool) {
        throw new WardenError(
          "TOOL_UNAUTHORIZED_EFFECT",
          `tool call ${effect.toolCallId} was already recorded for ${row.tool} with other arguments`,
          { details: { effectId, recorded: { tool: row.tool, argsHash: row.args_hash }, requested: { tool: effect.tool, argsHash: effect.argsHash } } },
        );
      }
      const begun: EffectBegin = { effectId: row.effect_id, state: row.inserted ? "new" : row.status, attempts: row.attempts };
      if (row.status === "completed") begun.result = row.result;
      if (row.status === "failed" && row.error) begun.error = row.error as EffectError;
      return begun;
    },

    async complete(tenant, effectId, result) {
      await completeToolEffect(db, tenant, effectId, JSON.stringify(result ?? null));
    },

    async fail(tenant, effectId, error) {
      await failToolEffect(db, tenant, effectId, JSON.stringify(error));
    },

    async recordFailure(effect, error, attempts) {
      const effectId = effectIdFor(effect.tenant, effect.runId, effect.toolCallId);
      await recordToolEffectFailure(db, { ...keyOf(effect), effectId }, JSON.stringify(error), Math.max(1, attempts));
    },

    attempt: (tenant, effectId) => countToolEffectAttempt(db, tenant, effectId),

    async list(tenant, runId) {
      const rows = await listToolEffects(db, tenant, runId);
      return rows.map((row) => ({
        effectId: row.effect_id,
        runId: row.run_id,
        toolCallId: row.tool_call_id,
        tool: row.tool,
        argsHash: row.args_hash,
        status: row.status,
        result: row.result,
        error: row.error as EffectError | null,
        attempts: row.attempts,
        createdAt: new Date(row.created_at),
        updatedAt: new Date(row.updated_at),
      }));
    },
  };
}

const keyOf = (effect: BeginEffect) => ({ tenant: effect.tenant, runId: effect.runId, toolCallId: effect.toolCallId, tool: effect.tool, argsHash: effect.argsHash });
