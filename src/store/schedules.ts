import type { Queryable } from "./db.js";

export interface ScheduleRow {
  tenant_id: string;
  schedule_id: string;
  cron: string;
  timezone: string;
  goal: string;
  release_id: string | null;
  context: Record<string, unknown> | null;
  created_by: string;
  created_at: Date;
  last_tick_at: Date | null;
}

export async function insertSchedule(db: Queryable, row: Omit<ScheduleRow, "created_at">): Promise<ScheduleRow> {
  const { rows } = await db.query<ScheduleRow>(
    `INSERT INTO schedules (tenant_id, schedule_id, cron, timezone, goal, release_id, context, created_by, last_tick_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9) RETURNING *`,
    [row.tenant_id, row.schedule_id, row.cron, row.timezone, row.goal, row.release_id, row.context ? JSON.stringify(row.context) : null, row.created_by, row.last_tick_at],
  );
  return rows[0]!;
}

export async function listSchedules(db: Queryable, tenant: string): Promise<ScheduleRow[]> {
  const { rows } = await db.query<ScheduleRow>("SELECT * FROM schedules WHERE tenant_id = $1 ORDER BY created_at, schedule_id", [tenant]);
  return rows;
}

export async function deleteSchedule(db: Queryable, tenant: string, scheduleId: string): Promise<boolean> {
  const { rowCount } = await db.query("DELETE FROM schedules WHERE tenant_id = $1 AND schedule_id = $2", [tenant, scheduleId]);
  return rowCount === 1;
}

/** Every tenant's schedules, for the tick (one job a minute across all workers). */
export async function allSchedules(db: Queryable): Promise<ScheduleRow[]> {
  const { rows } = await db.query<ScheduleRow>("SELECT * FROM schedules ORDER BY tenant_id, schedule_id");
  return rows;
}

/** Records that `tick` was started; false when it (or a later one) already was. */
export async function advanceSchedule(db: Queryable, tenant: string, scheduleId: string, tick: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    "UPDATE schedules SET last_tick_at = $3 WHERE tenant_id = $1 AND schedule_id = $2 AND (last_tick_at IS NULL OR last_tick_at < $3)",
    [tenant, scheduleId, tick],
  );
  return rowCount === 1;
}
