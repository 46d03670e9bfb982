import { WardenError } from "../errors.js";
import type { Queryable } from "../store/db.js";
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

interface EffectRow {
  effect_id: string;
  run_id: string;
  tool_call_id: string;
  tool: string;
  args_hash: string;
  status: "started" | "completed" | "failed";
  result: unknown;
  error: EffectError | null;
  attempts: number;
  created_at: Date;
  updated_at: Date;
}

// ON CONFLICT ... DO UPDATE (a no-op update) instead of DO NOTHING + SELECT: DO UPDATE locks and RETURNs the
// existing row even when a concurrent transaction inserted it after this statement's snapshot, where a
// CTE's SELECT would see nothing. `xmax = 0` tells an inserted tuple from an updated one (same on PGlite).
const BEGIN_SQL = `
INSERT INTO tool_effects (tenant_id, effect_id, run_id, tool_call_id, tool, args_hash, status, attempts)
VALUES ($1, $2, $3, $4, $5, $6, 'started', 1)
ON CONFLICT (tenant_id, run_id, tool_call_id) DO UPDATE SET updated_at = tool_effects.updated_at
RETURNING effect_id, tool, args_hash, status, result, error, attempts, (xmax = 0) AS inserted`;

const RECORD_FAILURE_SQL = `
INSERT INTO tool_effects (tenant_id, effect_id, run_id, tool_call_id, tool, args_hash, status, error, attempts)
VALUES ($1, $2, $3, $4, $5, $6, 'failed', $7::jsonb, $8)
ON CONFLICT (tenant_id, run_id, tool_call_id) DO UPDATE
  SET status = 'failed', error = EXCLUDED.error, attempts = GREATEST(tool_effects.attempts, EXCLUDED.attempts), updated_at = now()
  WHERE tool_effects.status <> 'completed' AND tool_effects.args_hash = EXCLUDED.args_hash AND tool_effects.tool = EXCLUDED.tool`;

/** @param db tenant data access (a `Db`, or a transaction). */
export function createEffectLedger(db: Queryable): EffectLedger {
  return {
    async begin(effect) {
      const effectId = effectIdFor(effect.tenant, effect.runId, effect.toolCallId);
      const { rows } = await db.query<EffectRow & { inserted: boolean }>(BEGIN_SQL, [
        effect.tenant,
        effectId,
        effect.runId,
        effect.toolCallId,
        effect.tool,
        effect.argsHash,
      ]);
      const row = rows[0];
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
      if (row.status === "failed" && row.error) begun.error = row.error;
      return begun;
    },

    async complete(tenant, effectId, result) {
      await db.query(
        `UPDATE tool_effects SET status = 'completed', result = $3::jsonb, error = NULL, updated_at = now()
         WHERE tenant_id = $1 AND effect_id = $2`,
        [tenant, effectId, JSON.stringify(result ?? null)],
      );
    },

    async fail(tenant, effectId, error) {
      await db.query(
        `UPDATE tool_effects SET status = 'failed', error = $3::jsonb, updated_at = now()
         WHERE tenant_id = $1 AND effect_id = $2 AND status <> 'completed'`,
        [tenant, effectId, JSON.stringify(error)],
      );
    },

    async recordFailure(effect, error, attempts) {
      await db.query(RECORD_FAILURE_SQL, [
        effect.tenant,
        effectIdFor(effect.tenant, effect.runId, effect.toolCallId),
        effect.runId,
        effect.toolCallId,
        effect.tool,
        effect.argsHash,
        JSON.stringify(error),
        Math.max(1, attempts),
      ]);
    },

    async attempt(tenant, effectId) {
      const { rows } = await db.query<{ attempts: number }>(
        `UPDATE tool_effects SET attempts = attempts + 1, updated_at = now()
         WHERE tenant_id = $1 AND effect_id = $2 RETURNING attempts`,
        [tenant, effectId],
      );
      return rows[0]?.attempts ?? 0;
    },

    async list(tenant, runId) {
      const { rows } = await db.query<EffectRow>(
        `SELECT effect_id, run_id, tool_call_id, tool, args_hash, status, result, error, attempts, created_at, updated_at
         FROM tool_effects WHERE tenant_id = $1 AND run_id = $2 ORDER BY created_at, effect_id`,
        [tenant, runId],
      );
      return rows.map((row) => ({
        effectId: row.effect_id,
        runId: row.run_id,
        toolCallId: row.tool_call_id,
        tool: row.tool,
        argsHash: row.args_hash,
        status: row.status,
        result: row.result,
        error: row.error,
        attempts: row.attempts,
        createdAt: new Date(row.created_at),
        updatedAt: new Date(row.updated_at),
      }));
    },
  };
}
