import { describe, expect, vi } from "vitest";
import { createApiKey } from "../../src/server/api-keys.js";
import type { ToolExecutor } from "../../src/tools/executor.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, refundGoal, refundsFor } from "../helpers/runtime.js";
import type { TestServer } from "../helpers/server.js";

interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads Server-Sent Events off a fetch body as they arrive (comments skipped). */
async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: SseEvent = { data: "" };
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") event.id = value;
        else if (field === "event") event.event = value;
        else if (field === "data") data.push(value);
      }
      if (data.length === 0) continue;
      event.data = data.join("\n");
      yield event;
    }
  }
}

/** A JSON response body, loosely typed for assertions. */
async function json(response: Response | Promise<Response>): Promise<any> {
  return (await response).json();
}

async function collect(events: AsyncGenerator<SseEvent>): Promise<SseEvent[]> {
  const all: SseEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

const headers = (key: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${key}`, ...extra });

/** Holds every tool call until `open()`: proves events reach the client while the run is still running. */
function gateTools(server: TestServer): { open(): void; restore(): void } {
  const executor: ToolExecutor = server.runtime.deps.executor;
  const execute = executor.execute;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  executor.execute = async (call, scope) => {
    await gate;
    return execute.call(executor, call, scope);
  };
  return { open, restore: () => (executor.execute = execute) };
}

const suites = onBackends().map((suite) => ({
  ...suite,
  it: suite.it
    // The app on a real socket (the server fixture closes it), then two keys of acme.
    .extend("base", { scope: "file" }, async ({ server }) => server.app.listen({ port: 0, host: "127.0.0.1" }))
    .extend("requester", { scope: "file" }, async ({ store, base: _listening }) => (await createApiKey(store.db, { tenant: "acme", actor: "alice", roles: ["requester"] })).key)
    .extend("approver", { scope: "file" }, async ({ store, requester: _first }) => (await createApiKey(store.db, { tenant: "acme", actor: "bob", roles: ["approver"] })).key),
}));

describe.each(suites)("SSE over a real socket on $name", ({ it }) => {
  it("POST /v1/runs with Accept: text/event-stream delivers the trace live and ends with the RunRecord", async ({ store, server, base, requester }) => {
    const orderId = await addOrder(store.db);
    const gate = gateTools(server);
    try {
      const response = await fetch(`${base}/v1/runs`, {
        method: "POST",
        headers: headers(requester, { accept: "text/event-stream", "content-type": "application/json" }),
        body: JSON.stringify({ goal: refundGoal(orderId) }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const events = readEvents(response.body!);
      const first = (await events.next()).value as SseEvent;
      expect(first).toMatchObject({ id: "1", event: "run.started" });
      const started = JSON.parse(first.data);
      expect(started).toMatchObject({ seq: 1, kind: "run.started", tenant: "acme" });
      // The client has the first event while the run is still blocked in its first tool call.
      const meanwhile = await fetch(`${base}/v1/runs/${started.run_id}`, { headers: headers(requester) });
      expect((await json(meanwhile)).status).toBe("running");
      gate.open();

      const rest = await collect(events);
      const final = rest.at(-1)!;
      expect(final.event).toBe("run");
      expect(final.id).toBeUndefined();
      const record = JSON.parse(final.data);
      expect(record).toMatchObject({ run_id: started.run_id, status: "waiting_approval" });
      const traced = rest.slice(0, -1);
      const seqs = [1, ...traced.map((event) => Number(event.id))];
      expect(seqs).toEqual(seqs.map((_, index) => index + 1));
      const kinds = traced.map((event) => event.event);
      expect(kinds).toEqual(expect.arrayContaining(["route.decided", "tool.call", "approval.requested"]));
      expect(kinds.at(-1)).not.toBe("run.failed");
      for (const event of traced) expect(JSON.parse(event.data).kind).toBe(event.event);

      // The stream carried exactly the stored trace.
      const trace = await json(fetch(`${base}/v1/runs/${started.run_id}/trace`, { headers: headers(requester) }));
      expect(trace.events.map((event: { seq: number }) => String(event.seq))).toEqual(["1", ...traced.map((event) => event.id)]);
    } finally {
      gate.restore();
    }
  });

  it("GET /v1/runs/:id/events replays stored events after Last-Event-ID, and follows a run that is still running", async ({ store, server, base, requester, approver }) => {
    const orderId = await addOrder(store.db);
    const started = await json(
      fetch(`${base}/v1/runs`, { method: "POST", headers: headers(requester, { "content-type": "application/json" }), body: JSON.stringify({ goal: refundGoal(orderId) }) }),
    );
    const stored = (await json(fetch(`${base}/v1/runs/${started.run_id}/trace`, { headers: headers(requester) }))).events as Array<{ seq: number }>;

    const all = await collect(readEvents((await fetch(`${base}/v1/runs/${started.run_id}/events`, { headers: headers(approver) })).body!));
    expect(all.slice(0, -1).map((event) => Number(event.id))).toEqual(stored.map((event) => event.seq));
    expect(all.at(-1)).toMatchObject({ event: "run" });
    expect(JSON.parse(all.at(-1)!.data).status).toBe("waiting_approval");

    const resumed = await fetch(`${base}/v1/runs/${started.run_id}/events`, { headers: headers(approver, { "last-event-id": String(stored.length - 2) }) });
    const tail = await collect(readEvents(resumed.body!));
    expect(tail.map((event) => event.id ?? event.event)).toEqual([String(stored.length - 1), String(stored.length), "run"]);

    // Follow a resume: the stream opened while the approval runs delivers the new events, then the final record.
    const gate = gateTools(server);
    try {
      const decision = fetch(`${base}/v1/approvals/${started.pending_approvals[0].approval_id}`, {
        method: "POST",
        headers: headers(approver, { "content-type": "application/json" }),
        body: JSON.stringify({ decision: "approve" }),
      });
      await expect.poll(async () => (await json(fetch(`${base}/v1/runs/${started.run_id}`, { headers: headers(requester) }))).status).toBe("running");
      const following = fetch(`${base}/v1/runs/${started.run_id}/events`, { headers: headers(requester, { "last-event-id": String(stored.length) }) });
      setTimeout(gate.open, 300);
      const live = await collect(readEvents((await following).body!));
      expect((await decision).status).toBe(200);
      expect(live.at(-1)!.event).toBe("run");
      expect(JSON.parse(live.at(-1)!.data).status).toBe("completed");
      const newKinds = live.slice(0, -1).map((event) => event.event);
      expect(newKinds).toEqual(expect.arrayContaining(["approval.resolved", "tool.call", "run.finished"]));
      expect(Number(live[0]!.id)).toBe(stored.length + 1);
    } finally {
      gate.restore();
    }
    expect(await refundsFor(store.db, "acme", orderId)).toHaveLength(1);
  });

  it("answers errors before a stream starts as JSON, and a client that disconnects does not break the run", async ({ store, server, base, requester }) => {
    const bad = await fetch(`${base}/v1/runs/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}/events`, { headers: headers(requester, { accept: "text/event-stream" }) });
    expect(bad.status).toBe(404);
    expect((await json(bad)).error.code).toBe("RUN_NOT_FOUND");
    const badId = await fetch(`${base}/v1/runs/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}/events`, { headers: headers(requester, { "last-event-id": "x" }) });
    expect(badId.status).toBe(400);

    const orderId = await addOrder(store.db);
    const gate = gateTools(server);
    let runId: string;
    try {
      const controller = new AbortController();
      const response = await fetch(`${base}/v1/runs`, {
        method: "POST",
        signal: controller.signal,
        headers: headers(requester, { accept: "text/event-stream", "content-type": "application/json", "idempotency-key": `sse-${orderId}` }),
        body: JSON.stringify({ goal: refundGoal(orderId) }),
      });
      const first = (await readEvents(response.body!).next()).value as SseEvent;
      runId = JSON.parse(first.data).run_id;
      controller.abort();
      gate.open();
    } finally {
      gate.restore();
    }
    await expect.poll(async () => (await json(fetch(`${base}/v1/runs/${runId}`, { headers: headers(requester) }))).status).toBe("waiting_approval");
    // The idempotent retry replays the RunRecord as JSON instead of running again.
    // (409 IDEMPOTENCY_IN_FLIGHT until the server has recorded the outcome, a moment after the status changed.)
    const retryOnce = () =>
      fetch(`${base}/v1/runs`, {
        method: "POST",
        headers: headers(requester, { "content-type": "application/json", "idempotency-key": `sse-${orderId}` }),
        body: JSON.stringify({ goal: refundGoal(orderId) }),
      });
    let retry = await retryOnce();
    await expect.poll(async () => (retry.status === 200 ? 200 : (retry = await retryOnce()).status)).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json(retry)).toMatchObject({ run_id: runId, status: "waiting_approval" });
  });

  // Last: it closes the app.
  it("a shutdown ends the streams that follow a running run instead of waiting for the run", async ({ store, server, base, requester }) => {
    const gate = gateTools(server);
    try {
      const running = server.runtime.start({ tenant: "acme", actor: "alice", roles: ["requester"], goal: refundGoal(await addOrder(store.db)) });
      const runId = await vi.waitFor(async () => {
        const { rows } = await store.db.query<{ run_id: string }>("SELECT run_id FROM runs WHERE tenant_id = 'acme' AND status = 'running'");
        expect(rows).toHaveLength(1);
        return rows[0]!.run_id;
      });
      const following = await fetch(`${base}/v1/runs/${runId}/events`, { headers: headers(requester) });
      const events = collect(readEvents(following.body!));
      const startedAt = Date.now();
      await server.app.close();
      expect(Date.now() - startedAt).toBeLessThan(2_000);
      expect((await events).map((event) => event.event)).not.toContain("run");
      gate.open();
      expect((await running).status).toBe("waiting_approval");
    } finally {
      gate.restore();
    }
  });
});
