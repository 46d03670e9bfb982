import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ScheduleRow } from "../../store/schedules.js";
import { AUTHENTICATED_ERRORS, errorResponses, humanText, IdentifierSchema } from "../schemas/common.js";
import { boundedJsonObject } from "../schemas/json-object.js";
import { requireRole, type RouteOptions } from "../types.js";
import { v1Base } from "./base-path.js";
import { SCHEDULE_ID_PATTERN } from "../../contracts/identifiers.js";

const ScheduleSchema = z
  .object({
    schedule_id: z.string(),
    cron: z.string(),
    timezone: z.string(),
    goal: z.string(),
    release: z.string().nullable(),
    context: z.record(z.string(), z.unknown()).nullable(),
    created_by: z.string(),
    created_at: z.string(),
    last_tick_at: z.string().nullable().describe("The last tick a run was started for."),
  })
  .meta({ id: "Schedule" });

const CreateScheduleSchema = z
  .strictObject({
    cron: z.string().min(9).max(120).describe('Five-field cron: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5".'),
    timezone: z.string().min(1).max(64).optional().describe("IANA time zone of the cron expression (default UTC)."),
    goal: humanText(4000),
    release: IdentifierSchema.optional(),
    context: boundedJsonObject({ maxBytes: 16 * 1024, maxDepth: 16 }).optional(),
  })
  .meta({ id: "CreateSchedule" });

const ScheduleParamsSchema = z.strictObject({ schedule_id: z.string().regex(SCHEDULE_ID_PATTERN, "a schedule id").describe("A schedule id (sch_ + 20 hex).") });

function view(row: ScheduleRow) {
  return {
    schedule_id: row.schedule_id,
    cron: row.cron,
    timezone: row.timezone,
    goal: row.goal,
    release: row.release_id,
    context: row.context,
    created_by: row.created_by,
    created_at: new Date(row.created_at).toISOString(),
    last_tick_at: row.last_tick_at ? new Date(row.last_tick_at).toISOString() : null,
  };
}

/**
 * /v1/schedules (admin): goals run on a cron schedule through the job engine, at most once per tick across all
 * workers. Each tick starts a background run (actor `schedule:<id>`, role requester, a new thread), with the
 * tick in its idempotency key. Effects still go through policy and approvals like any run.
 */
export const schedulesRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { runtime }) => {
  const base = v1Base(app);

  app.post(
    `${base}/schedules`,
    {
      schema: {
        tags: ["schedules"],
        summary: "Create a schedule (admin)",
        body: CreateScheduleSchema,
        response: { 201: ScheduleSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const admin = requireRole(request, "admin");
      const body = request.body;
      const row = await runtime.schedules.create({ tenant: admin.tenant, cron: body.cron, timezone: body.timezone, goal: body.goal, release: body.release, context: body.context, createdBy: admin.actor });
      return reply.code(201).send(view(row));
    },
  );

  app.get(
    `${base}/schedules`,
    {
      schema: { tags: ["schedules"], summary: "List schedules (admin)", response: { 200: z.object({ schedules: z.array(ScheduleSchema) }), ...errorResponses(...AUTHENTICATED_ERRORS, 403) } },
    },
    async (request) => {
      const admin = requireRole(request, "admin");
      return { schedules: (await runtime.schedules.list(admin.tenant)).map(view) };
    },
  );

  app.delete(
    `${base}/schedules/:schedule_id`,
    {
      schema: {
        tags: ["schedules"],
        summary: "Delete a schedule (admin)",
        params: ScheduleParamsSchema,
        response: { 200: z.object({ schedule_id: z.string(), deleted: z.literal(true) }), ...errorResponses(...AUTHENTICATED_ERRORS, 403, 404) },
      },
    },
    async (request) => {
      const admin = requireRole(request, "admin");
      await runtime.schedules.delete(admin.tenant, request.params.schedule_id);
      return { schedule_id: request.params.schedule_id, deleted: true as const };
    },
  );
};
