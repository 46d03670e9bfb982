import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { WardenError } from "../../errors.js";
import type { RunEnvelope } from "../../runtime/envelope.js";
import type { RunRecord } from "../../runs/run-record.js";
import { STABLE_STATUSES } from "../../contracts/run-status.js";
import { followRun, streamRun } from "../run-streams.js";
import { AUTHENTICATED_ERRORS, errorResponses, RunParamsSchema } from "../schemas/common.js";
import { CreateRunBodySchema, CreateRunHeadersSchema, RunRecordSchema } from "../schemas/run.js";
import { RunListQuerySchema, RunPageSchema, WaitQuerySchema } from "../schemas/run-list.js";
import { EventStreamHeadersSchema, TraceQuerySchema, TraceResponseSchema } from "../schemas/trace.js";
import { openEventStream, wantsEventStream, type EventStream } from "../sse.js";
import { principalOf, requireRole, type RouteOptions } from "../types.js";
import { v1Base } from "./base-path.js";

const SSE_NOTE =
  "With `Accept: text/event-stream` the answer is a Server-Sent Events stream: one event per trace event " +
  "(`id` = seq, `event` = kind, `data` = the TraceEvent as JSON), then an event `run` carrying the RunRecord.";

/** 200 for a run that waits for a person or has finished, 202 for one still in progress (queued or running). */
const statusOf = (record: RunRecord) => (STABLE_STATUSES.includes(record.status) ? 200 : 202);

const runResponses = {
  200: { description: "The run, which waits for an approval or has finished.", content: { "application/json": { schema: RunRecordSchema } } },
  202: { description: "The run, still in progress (queued or running): follow it with GET /v1/runs/{run_id}/wait or /events.", content: { "application/json": { schema: RunRecordSchema } } },
};

/**
 * /v1/runs: start a run (sync, background or SSE), list, read, wait for, follow, cancel and recover runs. Tenant and
 * actor always come from the API key; another tenant's run id is a 404 (RUN_NOT_FOUND). Any key of the tenant may
 * read its runs (an approver reviews the trace); starting and cancelling need requester, recovering admin.
 */
export const runsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { runtime }) => {
  const base = v1Base(app);
  // Streams that follow a run can outlive any request; a shutdown ends them (clients resume with Last-Event-ID).
  const followers = new Set<EventStream>();
  app.addHook("preClose", async () => {
    for (const stream of followers) stream.end();
  });

  app.post(
    `${base}/runs`,
    {
      config: { idempotent: "resource" },
      schema: {
        tags: ["runs"],
        summary: "Start a run",
        description:
          "Creates the run and its job together. `sync` (default) answers when the run finishes or waits for an approval (202 with the run in progress if that takes longer than the server waits); `background` answers 202 at once with status `queued`. " +
          `${SSE_NOTE} An Idempotency-Key makes a retry return the same run (its outcome once it has one), never a second run. Role: requester.`,
        headers: CreateRunHeadersSchema,
        body: CreateRunBodySchema,
        response: {
          200: {
            description: "The run when it finished or waits for an approval (or, as SSE, its events and then the run).",
            content: { "application/json": { schema: RunRecordSchema }, "text/event-stream": { schema: z.string().describe("Server-Sent Events") } },
          },
          202: runResponses[202],
          ...errorResponses(...AUTHENTICATED_ERRORS, 403, 409, 413, 415, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, "requester");
      const { goal, release, thread_id, context, subject, mode, multitask_strategy, webhook } = request.body;
      const envelope: RunEnvelope = {
        tenant: principal.tenant,
        actor: principal.actor,
        roles: principal.roles,
        goal,
        release,
        threadId: thread_id,
        context,
        subject,
        idempotencyKey: request.headers["idempotency-key"],
      };
      const options = { mode, multitaskStrategy: multitask_strategy, webhook };
      if (wantsEventStream(request) && mode !== "background") return streamRun(runtime, envelope, options, request, reply);
      const record = await runtime.start(envelope, options);
      return reply.code(statusOf(record)).send(record);
    },
  );

  app.get(
    `${base}/runs`,
    {
      schema: {
        tags: ["runs"],
        summary: "List runs",
        description: "The tenant's runs, newest first, a page at a time (`next_cursor`). Any role.",
        querystring: RunListQuerySchema,
        response: { 200: RunPageSchema, ...errorResponses(...AUTHENTICATED_ERRORS) },
      },
    },
    async (request) => {
      const { tenant } = principalOf(request);
      const { status, thread_id, limit, cursor } = request.query;
      return runtime.listRuns(tenant, { status, threadId: thread_id, limit, cursor });
    },
  );

  app.get(
    `${base}/runs/:run_id`,
    {
      schema: {
        tags: ["runs"],
        summary: "Read a run",
        params: RunParamsSchema,
        response: { 200: RunRecordSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 404) },
      },
    },
    async (request) => runtime.getRun(principalOf(request).tenant, request.params.run_id),
  );

  app.get(
    `${base}/runs/:run_id/wait`,
    {
      schema: {
        tags: ["runs"],
        summary: "Wait for a run",
        description: "Long-polls up to `timeout_s` seconds for the run to wait for an approval or finish: 200 then, 202 with the run as it is when the time is up.",
        params: RunParamsSchema,
        querystring: WaitQuerySchema,
        response: { ...runResponses, ...errorResponses(...AUTHENTICATED_ERRORS, 404) },
      },
    },
    async (request, reply) => {
      const { tenant } = principalOf(request);
      const record = await runtime.wait(tenant, request.params.run_id, (request.query.timeout_s ?? 30) * 1000);
      return reply.code(statusOf(record)).send(record);
    },
  );

  app.get(
    `${base}/runs/:run_id/trace`,
    {
      schema: {
        tags: ["runs"],
        summary: "Read a run's trace",
        description: "The run's stored, redacted trace events by seq (after `after` when given).",
        params: RunParamsSchema,
        querystring: TraceQuerySchema,
        response: { 200: TraceResponseSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 404) },
      },
    },
    async (request) => {
      const { tenant } = principalOf(request);
      const events = await runtime.getTrace(tenant, request.params.run_id, request.query.after);
      return { run_id: request.params.run_id, events };
    },
  );

  app.get(
    `${base}/runs/:run_id/events`,
    {
      schema: {
        tags: ["runs"],
        summary: "Stream a run's trace events (SSE)",
        description:
          "Server-Sent Events: the stored events after `Last-Event-ID`, then, while the run is queued or running, new " +
          "ones as they are stored; ends with an event `run` carrying the RunRecord once the run finished or waits.",
        params: RunParamsSchema,
        headers: EventStreamHeadersSchema,
        response: {
          200: { description: "An event stream.", content: { "text/event-stream": { schema: z.string().describe("Server-Sent Events") } } },
          ...errorResponses(...AUTHENTICATED_ERRORS, 404),
        },
      },
    },
    async (request, reply) => {
      const { tenant } = principalOf(request);
      const runId = request.params.run_id;
      const lastEventId = request.headers["last-event-id"];
      await runtime.getRun(tenant, runId); // 404 as a normal JSON error, before the stream opens
      const stream = openEventStream(reply);
      followers.add(stream);
      try {
        await followRun(runtime, tenant, runId, lastEventId === undefined ? 0 : Number(lastEventId), stream);
      } finally {
        followers.delete(stream);
      }
      return reply;
    },
  );

  app.post(
    `${base}/runs/:run_id/cancel`,
    {
      schema: {
        tags: ["runs"],
        summary: "Cancel a run",
        description:
          "A run waiting for approval or still queued is cancelled at once (its pending approvals too: nothing it proposed will run). A running run stops at its next step boundary (its tools get an aborted signal): 200 once it stopped, 202 if it has not yet when the server stops waiting. A finished run is 409 RUN_FINISHED. Role: requester (the run's actor) or admin.",
        params: RunParamsSchema,
        response: { ...runResponses, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, "requester");
      const run = await runtime.getRun(principal.tenant, request.params.run_id);
      if (run.actor !== principal.actor && !principal.roles.includes("admin")) {
        throw new WardenError("FORBIDDEN", "Only the actor who started the run, or an admin, can cancel it.");
      }
      const record = await runtime.cancel(principal.tenant, run.run_id, { by: principal.actor });
      return reply.code(statusOf(record)).send(record);
    },
  );

  app.post(
    `${base}/runs/:run_id/recover`,
    {
      schema: {
        tags: ["runs"],
        summary: "Retry a failed run",
        description:
          "Puts a failed run back in progress with a fresh set of attempts: it continues from its last checkpoint, and steps that already caused an effect replay it from the effect ledger. 409 RUN_NOT_FAILED for a run that has not failed. Role: admin.",
        params: RunParamsSchema,
        response: { ...runResponses, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, "admin");
      const record = await runtime.recover(principal.tenant, request.params.run_id);
      return reply.code(statusOf(record)).send(record);
    },
  );
};
