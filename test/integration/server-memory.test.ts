import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InjectOptions } from "fastify";
import { afterAll, describe, expect, it } from "vitest";
import { SWEEP_ACTOR } from "../../src/memory/create-memory.js";
import { startServer, type RunningServer } from "../../src/server/serve.js";
import type { Store } from "../../src/store/open-store.js";
import type { Queryable } from "../../src/store/db.js";
import { onBackends } from "../helpers/fixtures.js";
import { countRows, expectErrorShape, type TestKey, type TestServer } from "../helpers/server.js";

type Method = "GET" | "POST" | "PATCH" | "DELETE";

interface AuditRow {
  memory_id: string | null;
  action: string;
  actor: string;
  count: number;
}

/** Inserts an entry of acme whose retention ran out a day ago (as if written long before). */
async function insertExpired(db: Queryable, subject: string, content = "Asked about a delivery last year"): Promise<string> {
  const memoryId = randomUUID();
  await db.query(
    `INSERT INTO memories (tenant_id, memory_id, subject, kind, content, source_run, created_at, expires_at, updated_at)
     VALUES ('acme', $1, $2, 'fact', $3, NULL, now() - interval '91 days', now() - interval '1 day', now() - interval '91 days')`,
    [memoryId, subject, content],
  );
  return memoryId;
}

/** A key's request to the app, as `app.inject` takes it. */
function callOn(server: TestServer) {
  return (key: TestKey, method: Method, url: string, payload?: unknown) => {
    const options: InjectOptions = { method, url, headers: key.headers };
    if (payload !== undefined) options.payload = payload as InjectOptions["payload"];
    return server.app.inject(options);
  };
}

/** Records consent and writes one entry through the memory service a run uses (the active release's policy). */
function rememberOn(server: TestServer) {
  return async (subject: string, content: string, kind = "preference"): Promise<string> => {
    const memory = server.runtime.deps.memory((await server.runtime.deps.release("support@1")).policy);
    await memory.grantConsent("acme", subject, "agent:ops");
    const { memory: stored } = await memory.write("acme", subject, { kind, content, sourceRun: "run-1" }, { actor: "agent:support", roles: ["requester"] });
    expect(stored).not.toBeNull();
    return stored!.memoryId;
  };
}

const entriesOn = (store: Store) => (subject: string) =>
  countRows(store, "SELECT count(*)::int AS n FROM memories WHERE tenant_id = 'acme' AND subject = $1", [subject]);
const auditsOn = (store: Store) => async (subject: string) =>
  (await store.db.query<AuditRow>(
    "SELECT memory_id, action, actor, count FROM memory_audit WHERE tenant_id = 'acme' AND subject = $1 AND action <> 'write' ORDER BY at, audit_id",
    [subject],
  )).rows;

const suites = onBackends().map((suite) => ({
  ...suite,
  it: suite.it
    .extend("call", { scope: "file" }, async ({ server }) => callOn(server))
    .extend("remember", { scope: "file" }, async ({ server }) => rememberOn(server))
    .extend("entriesOf", { scope: "file" }, async ({ store }) => entriesOn(store))
    .extend("auditsOf", { scope: "file" }, async ({ store }) => auditsOn(store)),
}));

/** /v1/memory over HTTP: what a subject's memory looks like, consent, correction and erasure, and who may do which. */
describe.each(suites)("HTTP memory on $name", ({ it }) => {
  it("lists a subject's unexpired memories in the API's shape, to every role, and hides an expired entry", async ({ store, server, call, remember, entriesOf }) => {
    const first = await remember("cust-list", "Prefers email over phone");
    const second = await remember("cust-list", "Ordered a blue mug", "fact");
    const expired = await insertExpired(store.db, "cust-list");

    for (const key of [server.keys.requester, server.keys.approver, server.keys.admin]) {
      const response = await call(key, "GET", "/v1/memory/cust-list");
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({ subject: "cust-list", consent: true });
      expect(body.memories.map((entry: { memory_id: string }) => entry.memory_id).sort()).toEqual([first, second].sort());
      expect(response.body).not.toContain(expired);
      const mug = body.memories.find((entry: { memory_id: string }) => entry.memory_id === second);
      expect(mug).toEqual({
        memory_id: second,
        subject: "cust-list",
        kind: "fact",
        content: "Ordered a blue mug",
        source_run: "run-1",
        created_at: expect.any(String),
        expires_at: expect.any(String),
        updated_at: expect.any(String),
      });
      // Retention of a fact is 90 days in refunds@1.
      expect(Date.parse(mug.expires_at) - Date.parse(mug.created_at)).toBe(90 * 86_400_000);
    }
    // Hidden, not yet deleted: the sweep removes it (see the timer test below).
    expect(await entriesOf("cust-list")).toBe(3);

    const unknown = await call(server.keys.requester, "GET", "/v1/memory/nobody-yet");
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).toEqual({ subject: "nobody-yet", consent: false, memories: [] });
  });

  it("granting consent over HTTP lets runs store memories; withdrawing it deletes them all and audits who and how many", async ({ server, call, entriesOf, auditsOf }) => {
    const granted = await call(server.keys.requester, "POST", "/v1/memory/cust-consent/consent", { granted: true });
    expect(granted.statusCode).toBe(200);
    expect(granted.json()).toEqual({ subject: "cust-consent", granted: true, deleted: 0 });
    const memory = server.runtime.deps.memory((await server.runtime.deps.release("support@1")).policy);
    const context = { actor: "agent:support", roles: ["requester"] };
    for (const content of ["Prefers email", "Lives in Lyon", "Has a dog"]) {
      expect((await memory.write("acme", "cust-consent", { kind: "fact", content }, context)).memory).not.toBeNull();
    }
    expect((await call(server.keys.approver, "GET", "/v1/memory/cust-consent")).json()).toMatchObject({ consent: true, memories: [{}, {}, {}] });

    const withdrawn = await call(server.keys.requester, "POST", "/v1/memory/cust-consent/consent", { granted: false });
    expect(withdrawn.statusCode).toBe(200);
    expect(withdrawn.json()).toEqual({ subject: "cust-consent", granted: false, deleted: 3 });
    expect(await entriesOf("cust-consent")).toBe(0);
    expect(await auditsOf("cust-consent")).toEqual([{ memory_id: null, action: "consent_withdrawn", actor: "alice", count: 3 }]);
    expect((await call(server.keys.requester, "GET", "/v1/memory/cust-consent")).json()).toEqual({ subject: "cust-consent", consent: false, memories: [] });
    // Without consent the next write is refused by policy and stores nothing.
    expect((await memory.write("acme", "cust-consent", { kind: "fact", content: "Again" }, context)).memory).toBeNull();
    expect(await entriesOf("cust-consent")).toBe(0);
  });

  it("a correction replaces the content, is redacted before it is stored, and is audited", async ({ store, server, call, remember, auditsOf }) => {
    const memoryId = await remember("cust-correct", "Prefers phone calls");
    const response = await call(server.keys.requester, "PATCH", `/v1/memory/cust-correct/${memoryId}`, {
      content: "Prefers SMS; pays with card 4242 4242 4242 4242",
    });
    expect(response.statusCode).toBe(200);
    const corrected = response.json();
    expect(corrected).toMatchObject({ memory_id: memoryId, subject: "cust-correct", kind: "preference", content: "Prefers SMS; pays with card [card]" });
    expect(Date.parse(corrected.updated_at)).toBeGreaterThanOrEqual(Date.parse(corrected.created_at));

    const { rows } = await store.db.query<{ content: string }>("SELECT content FROM memories WHERE tenant_id = 'acme' AND memory_id = $1", [memoryId]);
    expect(rows).toEqual([{ content: "Prefers SMS; pays with card [card]" }]);
    expect(JSON.stringify(rows)).not.toMatch(/4242/);
    expect((await call(server.keys.approver, "GET", "/v1/memory/cust-correct")).json().memories).toEqual([corrected]);
    expect(await auditsOf("cust-correct")).toEqual([{ memory_id: memoryId, action: "correct", actor: "alice", count: 1 }]);

    const byAdmin = await call(server.keys.admin, "PATCH", `/v1/memory/cust-correct/${memoryId}`, { content: "Prefers SMS" });
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json().content).toBe("Prefers SMS");
  });

  it("an admin erases one entry and then the whole subject, each audited with the actor and the count", async ({ server, call, remember, entriesOf, auditsOf }) => {
    const [first, second, third] = [await remember("cust-erase", "One"), await remember("cust-erase", "Two"), await remember("cust-erase", "Three")];

    const one = await call(server.keys.admin, "DELETE", `/v1/memory/cust-erase/${first}`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({ subject: "cust-erase", memory_id: first, deleted: 1 });
    const again = await call(server.keys.admin, "DELETE", `/v1/memory/cust-erase/${first}`);
    expect(again.statusCode).toBe(404);
    expectErrorShape(again.body, "MEMORY_NOT_FOUND");
    const listed = (await call(server.keys.requester, "GET", "/v1/memory/cust-erase")).json().memories.map((entry: { memory_id: string }) => entry.memory_id);
    expect(listed.sort()).toEqual([second, third].sort());

    const all = await call(server.keys.admin, "DELETE", "/v1/memory/cust-erase");
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ subject: "cust-erase", deleted: 2 });
    expect(await entriesOf("cust-erase")).toBe(0);
    expect(await auditsOf("cust-erase")).toEqual([
      { memory_id: first, action: "delete", actor: "admin", count: 1 },
      { memory_id: null, action: "delete", actor: "admin", count: 2 },
    ]);
    // Erasure is not a withdrawal: the recorded consent stays as it was.
    expect((await call(server.keys.requester, "GET", "/v1/memory/cust-erase")).json()).toEqual({ subject: "cust-erase", consent: true, memories: [] });
    expect((await call(server.keys.admin, "DELETE", "/v1/memory/cust-erase")).json()).toEqual({ subject: "cust-erase", deleted: 0 });
  });

  it("an approver-only key cannot correct or change consent, and a requester cannot erase: 403 FORBIDDEN, nothing changes", async ({ server, call, remember, auditsOf }) => {
    const memoryId = await remember("cust-roles", "Prefers email");
    const refused = [
      await call(server.keys.approver, "PATCH", `/v1/memory/cust-roles/${memoryId}`, { content: "Changed" }),
      await call(server.keys.approver, "POST", "/v1/memory/cust-roles/consent", { granted: false }),
      await call(server.keys.requester, "DELETE", `/v1/memory/cust-roles/${memoryId}`),
      await call(server.keys.requester, "DELETE", "/v1/memory/cust-roles"),
      await call(server.keys.approver, "DELETE", "/v1/memory/cust-roles"),
    ];
    for (const response of refused) {
      expect(response.statusCode).toBe(403);
      expectErrorShape(response.body, "FORBIDDEN");
    }
    expect((await call(server.keys.requester, "GET", "/v1/memory/cust-roles")).json()).toMatchObject({
      consent: true,
      memories: [{ memory_id: memoryId, content: "Prefers email" }],
    });
    expect(await auditsOf("cust-roles")).toEqual([]);
  });

  it("refuses bad input with 400 and the error shape: empty or blank content, unknown body fields, a malformed subject", async ({ server, call, remember }) => {
    const memoryId = await remember("cust-input", "Prefers email");
    const entry = `/v1/memory/cust-input/${memoryId}`;
    const bad: Array<[Method, string, unknown]> = [
      ["PATCH", entry, { content: "" }],
      ["PATCH", entry, { content: "   " }],
      ["PATCH", entry, { content: "x".repeat(4001) }],
      ["PATCH", entry, {}],
      ["PATCH", entry, { content: "Prefers SMS", kind: "fact" }],
      // Tenant and actor come from the key: a body that tries to name them is refused, not obeyed.
      ["POST", "/v1/memory/cust-input/consent", { granted: false, tenant: "globex" }],
      ["POST", "/v1/memory/cust-input/consent", { granted: "no" }],
      ["POST", "/v1/memory/cust-input/consent", {}],
      ["GET", "/v1/memory/bad%20subject", undefined],
      ["GET", `/v1/memory/${"s".repeat(129)}`, undefined],
      ["POST", "/v1/memory/bad%20subject/consent", { granted: true }],
      ["PATCH", `/v1/memory/cust-input/bad%2Fid`, { content: "x" }],
      ["DELETE", "/v1/memory/%3Cscript%3E", undefined],
    ];
    for (const [method, url, payload] of bad) {
      const response = await call(method === "DELETE" ? server.keys.admin : server.keys.requester, method, url, payload);
      expect(response.statusCode, `${method} ${url} ${JSON.stringify(payload)?.slice(0, 60)}`).toBe(400);
      expectErrorShape(response.body, "VALIDATION_FAILED");
    }
    expect((await call(server.keys.requester, "GET", "/v1/memory/cust-input")).json()).toMatchObject({
      consent: true,
      memories: [{ memory_id: memoryId, content: "Prefers email" }],
    });
  });

  it("an unknown memory id, or one of another subject, is 404 MEMORY_NOT_FOUND and changes nothing", async ({ server, call, remember }) => {
    const memoryId = await remember("cust-owner", "Prefers email");
    const attempts = [
      await call(server.keys.requester, "PATCH", `/v1/memory/cust-owner/${randomUUID()}`, { content: "x" }),
      await call(server.keys.admin, "DELETE", `/v1/memory/cust-owner/mem_${"0".repeat(24)}`),
      await call(server.keys.requester, "PATCH", `/v1/memory/cust-other/${memoryId}`, { content: "Hijacked" }),
      await call(server.keys.admin, "DELETE", `/v1/memory/cust-other/${memoryId}`),
    ];
    for (const response of attempts) {
      expect(response.statusCode).toBe(404);
      expectErrorShape(response.body, "MEMORY_NOT_FOUND");
    }
    expect((await call(server.keys.requester, "GET", "/v1/memory/cust-owner")).json().memories).toMatchObject([{ memory_id: memoryId, content: "Prefers email" }]);
  });
});

describe("the server's retention sweep (startServer on a PGlite data dir)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "warden-memory-sweep-"));
  const logLines: string[] = [];
  let running: RunningServer | undefined;

  afterAll(async () => {
    await running?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("deletes an expired entry on its timer, audits it as the sweep, logs the count, and keeps unexpired ones", async () => {
    running = await startServer({
      env: { WARDEN_DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1" },
      logger: { level: "info", stream: { write: (line) => void logLines.push(line) } },
      memorySweepIntervalMs: 50,
    });
    const db = running.runtime.store.db;
    const memory = running.runtime.deps.memory((await running.runtime.deps.release("support@1")).policy);
    await memory.grantConsent("acme", "cust-sweep", "agent:ops");
    const kept = await memory.write("acme", "cust-sweep", { kind: "preference", content: "Prefers email" }, { actor: "agent:support", roles: ["requester"] });
    const expired = await insertExpired(db, "cust-sweep");

    const sweepLogs = () =>
      logLines.map((line) => JSON.parse(line) as { msg: string; deleted?: number }).filter((line) => line.msg === "expired memory entries deleted");
    // The entry is gone once the sweep commits; its log line follows right after. Wait for both, with a deadline.
    const deadline = Date.now() + 20_000;
    let left = 1;
    while (Date.now() < deadline) {
      left = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM memories WHERE memory_id = $1", [expired])).rows[0]!.n;
      if (left === 0 && sweepLogs().length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(left).toBe(0);
    const { rows: remaining } = await db.query<{ memory_id: string }>("SELECT memory_id FROM memories WHERE tenant_id = 'acme' AND subject = 'cust-sweep'", []);
    expect(remaining).toEqual([{ memory_id: kept.memory!.memoryId }]);
    const { rows: audits } = await db.query<AuditRow>("SELECT memory_id, action, actor, count FROM memory_audit WHERE subject = 'cust-sweep' AND action = 'sweep'", []);
    expect(audits).toEqual([{ memory_id: null, action: "sweep", actor: SWEEP_ACTOR, count: 1 }]);
    expect(sweepLogs()).toEqual([expect.objectContaining({ deleted: 1 })]);

    // close() stops the timer and waits for a sweep in flight: the database closes cleanly.
    await running.close();
    running = undefined;
  }, 60_000);
});
