import type { FastifyReply, FastifyRequest } from "fastify";
import type { Runtime, StartOptions } from "../runtime/create-runtime.js";
import type { RunEnvelope } from "../runtime/envelope.js";
import { createWakeableSleep } from "../runs/wakeable-sleep.js";
import { STABLE_STATUSES } from "../contracts/run-status.js";
import type { TraceEvent } from "../trace/types.js";
import { openEventStream, streamErrorBody, type EventStream } from "./sse.js";

/** How often a followed run's stored events and status are read (an execution in this process also wakes it). */
const FOLLOW_POLL_MS = 250;
/** A followed stream ends after this long even if the run still runs (a client reconnects with Last-Event-ID). */
const FOLLOW_LIMIT_MS = 30 * 60_000;

/** Sends events by seq exactly once, whichever way they arrive (live from this process, or read back). */
function sequencer(stream: EventStream, afterSeq: number) {
  let last = afterSeq;
  return {
    get last() {
      return last;
    },
    send(event: TraceEvent) {
      if (event.seq !== last + 1) return false;
      stream.send({ id: event.seq, event: event.kind, data: event });
      last = event.seq;
      return true;
    },
  };
}

/**
 * Writes a run's stored events after `afterSeq`, then new ones until the run is stable (waits for a person, or is
 * final), then an event `run` with the RunRecord. Events of an execution in this process arrive as they are
 * stored; those of another process by reading the trace back.
 */
export async function followRun(runtime: Runtime, tenant: string, runId: string, afterSeq: number, stream: EventStream): Promise<void> {
  const events = sequencer(stream, afterSeq);
  const pause = createWakeableSleep();
  const unsubscribe = runtime.subscribe(runId, (event) => {
    if (!events.send(event)) pause.wake();
  });
  const sendStored = async () => {
    for (const event of await runtime.getTrace(tenant, runId, events.last)) events.send(event);
  };
  const deadline = Date.now() + FOLLOW_LIMIT_MS;
  try {
    while (!stream.closed) {
      await sendStored();
      const record = await runtime.getRun(tenant, runId);
      if (STABLE_STATUSES.includes(record.status) || Date.now() > deadline) {
        await sendStored(); // events stored between the trace read and the status read
        stream.send({ event: "run", data: record });
        break;
      }
      await pause.sleep(FOLLOW_POLL_MS);
    }
  } catch (error) {
    stream.send({ event: "error", data: streamErrorBody(error) });
  } finally {
    unsubscribe();
    stream.end();
  }
}

/**
 * POST /v1/runs as SSE. The stream opens with the run's first event, so an error before the run starts (a busy
 * thread, an unknown release) is still an ordinary JSON error with its status. A client that disconnects only stops
 * the writes: the run goes on and its outcome is recorded for an idempotent retry.
 */
export async function streamRun(runtime: Runtime, envelope: RunEnvelope, options: StartOptions, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  let stream: EventStream | undefined;
  let events: ReturnType<typeof sequencer> | undefined;
  const open = () => {
    stream ??= openEventStream(reply);
    events ??= sequencer(stream, 0);
    return events;
  };
  let record;
  try {
    record = await runtime.start(envelope, { ...options, onEvent: (event) => open().send(event) });
  } catch (error) {
    if (!stream) throw error;
    await request.idempotency?.abandon().catch((cause: unknown) => request.log.warn({ err: cause }, "idempotency abandon failed"));
    stream.send({ event: "error", data: streamErrorBody(error) });
    stream.end();
    return reply;
  }
  const sequence = open();
  if (!STABLE_STATUSES.includes(record.status)) {
    // Still in progress after the server's wait (or it runs in another process): follow it to its end.
    await followRun(runtime, envelope.tenant, record.run_id, sequence.last, stream!);
    return reply;
  }
  // Recorded before the stream ends, so a retry right after the end replays the RunRecord instead of a 409.
  await request.idempotency?.complete(200, JSON.stringify(record), "application/json").catch((cause: unknown) => request.log.warn({ err: cause }, "idempotency complete failed"));
  for (const event of await runtime.getTrace(envelope.tenant, record.run_id, sequence.last)) sequence.send(event);
  stream!.send({ event: "run", data: record });
  stream!.end();
  return reply;
}
