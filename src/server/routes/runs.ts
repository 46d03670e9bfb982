import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { WardenError } from "../../errors.js";
import type { Runtime } from "../../runtime/create-runtime.js";
import type { RunEnvelope } from "../../runtime/envelope.js";
import type { RunRecord } from "../../runtime/run-record.js";
import { AUTHENTICATED_ERRORS, errorResponses, RunParamsSchema } from "../schemas/common.js";
import { CreateRunBodySchema, CreateRunHeadersSchema, RunRecordSchema } from "../schemas/run.js";
import { EventStreamHeadersSchema, TraceQuerySchema, TraceResponseSchema } from "../schemas/trace.js";
import { openEventStream, streamErrorBody, wantsEventStream, type EventStream } from "../sse.js";
import { principalOf, requireRole, type RouteOptions } from "../types.js";
import { v1Base } from "./base-path.js";

/** How often GET /v1/runs/:run_id/events looks for new events of a run that is still running. */
const FOLLOW_POLL_MS = 250;
/** A followed stream ends after this long even if the run still runs (a client reconnects with Last-Event-ID). */
const FOLLOW_LIMIT_MS = 30 * 60_000;

const SSE_NOTE =
  "With `Accept: text/event-stream` the answer is a Server-Sent Events stream: one event per trace event " +
  "(`id` = seq, `event` = kind, `data` = the TraceEvent as JSON), then an event `run` carrying the RunRecord.";

/**
 * /v1/runs: start a run (JSON or SSE), read it, its trace and its event stream, cancel it. Tenant and actor
 * always come from the API key; another tenant's run id is a 404 (the runtime's RUN_NOT_FOUND). Any key of the
 * tenant may read its runs (an approver reviews the trace); starting needs requester.
 */
export const runsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { runtime }) => {
  const base = v1Base(app);
  // Streams that follow a run can outlive any request; a shutdown ends them (clients resume with Last-Event-ID)
  // instead of waiting for their runs. Streams of POST /v1/runs end with their run, like any in-flight request.
  const followers = new Set<EventStream>();
  app.addHook("preClose", async () => {
    for (const stream of followers) stream.end();
  });

  app.post(
    `${base}/runs`,
    {
      config: { idempotent: true },
      schema: {
        tags: ["runs"],
        summary: "Start a run",
        description: `Runs until the run finishes or waits for an approval, then answers its RunRecord. ${SSE_NOTE} Role: requester.`,
        headers: CreateRunHeadersSchema,
        body: CreateRunBodySchema,
        response: {
          200: {
            description: "The run when it finished or waits for an approval (or, as SSE, its events and then the run).",
            content: { "application/json": { schema: RunRecordSchema }, "text/event-stream": { schema: z.string().describe("Server-Sent Events") } },
          },
          ...errorResponses(...AUTHENTICATED_ERRORS, 403, 409, 413, 415, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, "requester");
      const { goal, release, thread_id, context, subject } = request.body;
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
      if (wantsEventStream(request)) return streamRun(runtime, envelope, request, reply);
      return runtime.start(envelope);
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
    `${base}/runs/:run_id/trace`,
    {
      schema: {
        tags: ["runs"],
        summary: "Read a run's trace",
        description: "The run's stored, redacted trace events in seq order (after `after` when given).",
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
          "Server-Sent Events: the stored events after `Last-Event-ID`, then, while the run is still running, new " +
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
        summary: "Cancel a run that waits for approval",
        description: "Its pending approvals are cancelled and nothing it proposed will run. Role: requester (the run's actor) or admin.",
        params: RunParamsSchema,
        response: { 200: RunRecordSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 404, 409) },
      },
    },
    async (request) => {
      const principal = requireRole(request, "requester");
      const run = await runtime.getRun(principal.tenant, request.params.run_id);
      if (run.actor !== principal.actor && !principal.roles.includes("admin")) {
        throw new WardenError("FORBIDDEN", "Only the actor who started the run, or an admin, can cancel it.");
      }
      return runtime.cancel(principal.tenant, run.run_id);
    },
  );
};

/**
 * POST /v1/runs as SSE. The stream opens with the run's first event, so an error before the run starts (a busy
 * thread, an unknown release) is still an ordinary JSON error with its status. A client that disconnects only
 * stops the writes: the run goes on and its outcome is recorded for an idempotent retry.
 */
async function streamRun(runtime: Runtime, envelope: RunEnvelope, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  let stream: EventStream | undefined;
  const open = () => (stream ??= openEventStream(reply));
  let record: RunRecord;
  try {
    record = await runtime.start(envelope, { onEvent: (event) => open().send({ id: event.seq, event: event.kind, data: event }) });
  } catch (error) {
    if (!stream) throw error;
    await request.idempotency?.abandon().catch((cause: unknown) => request.log.warn({ err: cause }, "idempotency abandon failed"));
    stream.send({ event: "error", data: streamErrorBody(error) });
    stream.end();
    return reply;
  }
  // Recorded before the stream ends, so a retry right after the end replays the RunRecord instead of a 409.
  await request.idempotency?.complete(200, JSON.stringify(record), "application/json").catch((cause: unknown) => request.log.warn({ err: cause }, "idempotency complete failed"));
  const events = open();
  events.send({ event: "run", data: record });
  events.end();
  return reply;
}

/** Writes a run's stored events after `afterSeq`, then polls for new ones until the run stops running. */
async function followRun(runtime: Runtime, tenant: string, runId: string, afterSeq: number, stream: EventStream): Promise<void> {
  let last = afterSeq;
  const sendNew = async () => {
    for (const event of await runtime.getTrace(tenant, runId, last)) {
      stream.send({ id: event.seq, event: event.kind, data: event });
      last = event.seq;
    }
  };
  const deadline = Date.now() + FOLLOW_LIMIT_MS;
  try {
    while (!stream.closed) {
      await sendNew();
      const record = await runtime.getRun(tenant, runId);
      if (record.status !== "running" || Date.now() > deadline) {
        await sendNew(); // events stored between the trace read and the status read
        stream.send({ event: "run", data: record });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
    }
  } catch (error) {
    stream.send({ event: "error", data: streamErrorBody(error) });
  } finally {
    stream.end();
  }
}
