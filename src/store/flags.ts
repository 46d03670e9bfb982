import type { Queryable } from "./db.js";

/** The tenant id of a flag that applies to every tenant. */
export const GLOBAL_TENANT = "*";

export const FLAG_KINDS = ["tool", "runtime", "prompt", "model", "workflow", "agent"] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];

/** One switch that is on: the thing named by `kind` + `target` is disabled for `tenant_id` ('*' = everyone). */
export interface FlagRow {
  tenant_id: string;
  kind: FlagKind;
  /** Tool name, prompt path, model name or workflow id; '' for `runtime` and `agent`. */
  target: string;
  /** For `workflow`: "agent" routes to the agent path, "refuse" ends the run. */
  mode: string | null;
  reason: string | null;
  set_by: string;
  updated_at: string;
}

export interface SetFlagInput {
  tenant: string;
  kind: FlagKind;
  target?: string;
  mode?: string | null;
  reason?: string | null;
  setBy: string;
}

/** Every flag of every tenant: the table is small (a handful of switches), so the cache reads it whole. */
export async function listAllFlags(db: Queryable): Promise<FlagRow[]> {
  const { rows } = await db.query<FlagRow>(
    "SELECT tenant_id, kind, target, mode, reason, set_by, updated_at::text AS updated_at FROM flags ORDER BY tenant_id, kind, target",
  );
  return rows;
}

/** Turns a switch on (or updates its mode and reason). */
export async function setFlag(db: Queryable, input: SetFlagInput): Promise<FlagRow> {
  const { rows } = await db.query<FlagRow>(
    `INSERT INTO flags (tenant_id, kind, target, mode, reason, set_by) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id, kind, target) DO UPDATE SET mode = EXCLUDED.mode, reason = EXCLUDED.reason, set_by = EXCLUDED.set_by, updated_at = now()
     RETURNING tenant_id, kind, target, mode, reason, set_by, updated_at::text AS updated_at`,
    [input.tenant, input.kind, input.target ?? "", input.mode ?? null, input.reason ?? null, input.setBy],
  );
  return rows[0]!;
}

/** Turns a switch off; false when it was not on. */
export async function clearFlag(db: Queryable, tenant: string, kind: FlagKind, target = ""): Promise<boolean> {
  const { rowCount } = await db.query("DELETE FROM flags WHERE tenant_id = $1 AND kind = $2 AND target = $3", [tenant, kind, target]);
  return rowCount > 0;
}
