import type { Queryable } from "./db.js";

/**
 * The `tool_effects` table: one row per side-effecting tool call, keyed by (tenant, run, tool call). Every statement
 * filters by tenant. The effect ledger (src/tools/effect-ledger.ts) holds the protocol; this holds its statements.
 * `error` and `result` are stored JSON, typed by the ledger.
 */
export interface ToolEffectRow {
  effect_id: string;
  run_id: string;
  tool_call_id: string;
  tool: string;
  args_hash: string;
  status: "started" | "completed" | "failed";
  result: unknown;
  error: unknown;
  attempts: number;
  created_at: Date;
  updated_at: Date;
}

/** The identity of one call's row. */
export interface ToolEffectKey {
  tenant: string;
  effectId: string;
  runId: string;
  toolCallId: string;
  tool: string;
  argsHash: string;
}

export type ClaimedToolEffect = Pick<ToolEffectRow, "effect_id" | "tool" | "args_hash" | "status" | "result" | "error" | "attempts"> & {
  /** True when this statement inserted the row. */
  inserted: boolean;
};

// ON CONFLICT ... DO UPDATE (a no-op update) instead of DO NOTHING + SELECT: DO UPDATE locks and RETURNs the
// existing row even when a concurrent transaction inserted it after this statement's snapshot, where a
// CTE's SELECT would see nothing. `xmax = 0` tells an inserted tuple from an updated one (same on PGlite).
const CLAIM_SQL = `
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

/** Inserts the call's row as `started` (attempts 1), or returns the existing one, in one statement. */
export async function claimToolEffect(db: Queryable, key: ToolEffectKey): Promise<ClaimedToolEffect | undefined> {
  const { rows } = await db.query<ClaimedToolEffect>(CLAIM_SQL, [key.tenant, key.effectId, key.runId, key.toolCallId, key.tool, key.argsHash]);
  return rows[0];
}

/** Records the output (`result` as JSON text). */
export async function completeToolEffect(db: Queryable, tenant: string, effectId: string, resultJson: string): Promise<void> {
  await db.query(
    `UPDATE tool_effects SET status = 'completed', result = $3::jsonb, error = NULL, updated_at = now()
         WHERE tenant_id = $1 AND effect_id = $2`,
    [tenant, effectId, resultJson],
  );
}

/** Records a failure (`error` as JSON text); never overwrites a completed effect. */
export async function failToolEffect(db: Queryable, tenant: string, effectId: string, errorJson: string): Promise<void> {
  await db.query(
    `UPDATE tool_effects SET status = 'failed', error = $3::jsonb, updated_at = now()
         WHERE tenant_id = $1 AND effect_id = $2 AND status <> 'completed'`,
    [tenant, effectId, errorJson],
  );
}

/** Inserts the row as failed, or updates an earlier one of the same call (attempts never decrease, completed stays). */
export async function recordToolEffectFailure(db: Queryable, key: ToolEffectKey, errorJson: string, attempts: number): Promise<void> {
  await db.query(RECORD_FAILURE_SQL, [key.tenant, key.effectId, key.runId, key.toolCallId, key.tool, key.argsHash, errorJson, attempts]);
}

/** Counts one more execution; returns the new count (0 when the row does not exist). */
export async function countToolEffectAttempt(db: Queryable, tenant: string, effectId: string): Promise<number> {
  const { rows } = await db.query<{ attempts: number }>(
    `UPDATE tool_effects SET attempts = attempts + 1, updated_at = now()
         WHERE tenant_id = $1 AND effect_id = $2 RETURNING attempts`,
    [tenant, effectId],
  );
  return rows[0]?.attempts ?? 0;
}

/** The run's effects, oldest first. */
export async function listToolEffects(db: Queryable, tenant: string, runId: string): Promise<ToolEffectRow[]> {
  const { rows } = await db.query<ToolEffectRow>(
    `SELECT effect_id, run_id, tool_call_id, tool, args_hash, status, result, error, attempts, created_at, updated_at
         FROM tool_effects WHERE tenant_id = $1 AND run_id = $2 ORDER BY created_at, effect_id`,
    [tenant, runId],
  );
  return rows;
}

/** The run's effects as its public record shows them (id, tool, status), oldest first. */
export async function listToolEffectSummaries(db: Queryable, tenant: string, runId: string): Promise<Array<{ effect_id: string; tool: string; status: string }>> {
  const { rows } = await db.query<{ effect_id: string; tool: string; status: string }>(
    "SELECT effect_id, tool, status FROM tool_effects WHERE tenant_id = $1 AND run_id = $2 ORDER BY created_at, effect_id",
    [tenant, runId],
  );
  return rows;
}
