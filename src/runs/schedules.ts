import { randomUUID } from "node:crypto";
import cronParser from "cron-parser";
import { WardenError } from "../errors.js";
import type { Queryable } from "../store/db.js";
import { advanceSchedule, allSchedules, deleteSchedule, insertSchedule, listSchedules, type ScheduleRow } from "../store/schedules.js";
import type { RunLogger } from "./run-logger.js";

export interface NewSchedule {
  tenant: string;
  cron: string;
  timezone?: string | undefined;
  goal: string;
  release?: string | undefined;
  context?: Record<string, unknown> | undefined;
  createdBy: string;
}

/** What a schedule starts at each tick: a background run, with the tick in its idempotency key. */
export type StartScheduledRun = (schedule: ScheduleRow, tick: Date, idempotencyKey: string) => Promise<void>;

export interface Schedules {
  create(input: NewSchedule): Promise<ScheduleRow>;
  list(tenant: string): Promise<ScheduleRow[]>;
  delete(tenant: string, scheduleId: string): Promise<void>;
  /**
   * Starts every schedule whose latest tick (at or before `now`) has not run yet. The job engine's cron calls it once
   * a minute across all workers; each tick's run carries the key `schedule:<id>:<tick>`, so even two ticks racing
   * (a retried tick job) start one run per tick.
   */
  tick(now?: Date): Promise<number>;
}

/** Five-field cron (minute hour day month weekday): the engine ticks once a minute, so seconds would never fire. */
export function latestTick(cron: string, timezone: string, now: Date): Date {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error("a cron expression has 5 fields: minute hour day-of-month month day-of-week");
  return cronParser.parseExpression(cron, { currentDate: new Date(now.getTime() + 1), tz: timezone }).prev().toDate();
}

export function createSchedules(ctx: { db: Queryable; start: StartScheduledRun; log: RunLogger }): Schedules {
  return {
    async create(input) {
      const timezone = input.timezone ?? "UTC";
      let last: Date;
      try {
        // The first tick is the next one: a schedule created at 12:00:30 for "* * * * *" first runs at 12:01.
        last = latestTick(input.cron, timezone, new Date());
      } catch (error) {
        throw new WardenError("VALIDATION_FAILED", `Invalid schedule: ${error instanceof Error ? error.message : String(error)}.`, {
          details: [{ path: "body.cron", message: error instanceof Error ? error.message : "invalid" }],
        });
      }
      return insertSchedule(ctx.db, {
        tenant_id: input.tenant,
        schedule_id: `sch_${randomUUID().replaceAll("-", "").slice(0, 20)}`,
        cron: input.cron.trim(),
        timezone,
        goal: input.goal,
        release_id: input.release ?? null,
        context: input.context ?? null,
        created_by: input.createdBy,
        last_tick_at: last,
      });
    },
    list: (tenant) => listSchedules(ctx.db, tenant),
    async delete(tenant, scheduleId) {
      if (!(await deleteSchedule(ctx.db, tenant, scheduleId))) throw new WardenError("SCHEDULE_NOT_FOUND", `Schedule ${scheduleId} was not found.`);
    },
    async tick(now = new Date()) {
      let started = 0;
      for (const schedule of await allSchedules(ctx.db)) {
        let tick: Date;
        try {
          tick = latestTick(schedule.cron, schedule.timezone, now);
        } catch {
          continue;
        }
        if (schedule.last_tick_at && new Date(schedule.last_tick_at).getTime() >= tick.getTime()) continue;
        try {
          // The run first (idempotent by its key), then the tick: a crash between them repeats nothing.
          await ctx.start(schedule, tick, `schedule:${schedule.schedule_id}:${tick.toISOString()}`);
          if (await advanceSchedule(ctx.db, schedule.tenant_id, schedule.schedule_id, tick)) started++;
        } catch (error) {
          ctx.log.warn({ schedule_id: schedule.schedule_id, err: error }, "scheduled run could not start");
        }
      }
      return started;
    },
  };
}
