import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/server/api-keys.js";
import type { Store } from "../../src/store/open-store.js";
import { backends } from "../helpers/backends.js";

const databaseUrl = process.env.DATABASE_URL;
const postgres = backends.find((backend) => backend.name === "postgres");

interface ServeProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

interface Reply {
  status: number;
  body: Record<string, any>;
}

/**
 * Two `warden serve` processes on one Postgres: a switch set through one acts in the other within a second
 * (each process caches the `flags` table for at most 1 s). Real processes, real sockets, one fresh schema.
 */
describe.skipIf(!databaseUrl || !postgres)("rollback switches across two serve processes on Postgres", () => {
  let store: Store;
  const children: ChildProcess[] = [];
  let first: ServeProcess;
  let second: ServeProcess;
  let admin: string;
  let requester: string;

  /** The same database, with the store's schema as the search path of every connection the server opens. */
  function serverDatabaseUrl(schema: string): string {
    const url = new URL(databaseUrl!);
    url.searchParams.set("options", `-c search_path=${schema}`);
    return url.toString();
  }

  async function serve(name: string): Promise<ServeProcess> {
    const env = { ...process.env, DATABASE_URL: serverDatabaseUrl(store.db.schema), PORT: "0", HOST: "127.0.0.1", OPENAI_API_KEY: "", WARDEN_RATE_LIMIT_MAX: "0" };
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let output = "";
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const listening = new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const url = /"url":"(http:\/\/[^"]+)","database":"postgres","msg":"warden listening"/.exec(output)?.[1];
        if (url) resolve(url);
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      void exited.then(() => reject(new Error(`serve ${name} exited before listening:\n${output}`)));
    });
    return { child, url: await listening, exited };
  }

  async function call(server: ServeProcess, key: string, method: "POST" | "PUT", path: string, body: unknown): Promise<Reply> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  const startRun = (server: ServeProcess) => call(server, requester, "POST", "/v1/runs", { goal: "What is your refund policy for damaged items?" });

  /**
   * Polls `server` with POST /v1/runs until it answers `status`. Returns when (ms after `since`) the last request
   * that still got the old answer was sent: the promise is about requests *started* more than 1 s after the
   * switch, so a slow request sent just before the cut-off (on a loaded machine) does not count against it.
   */
  async function untilRunAnswers(server: ServeProcess, status: number, since: number): Promise<{ lastOldSentAt: number; reply: Reply }> {
    let lastOldSentAt = 0;
    for (;;) {
      const sentAt = performance.now() - since;
      const reply = await startRun(server);
      if (reply.status === status) return { lastOldSentAt, reply };
      expect(reply.status).toBe(status === 503 ? 200 : 503); // nothing but the two expected answers
      lastOldSentAt = sentAt;
      expect(sentAt, "the switch never took effect").toBeLessThan(10_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  beforeAll(async () => {
    store = await postgres!.open();
    admin = (await createApiKey(store.db, { tenant: "acme", actor: "ops", roles: ["admin"] })).key;
    requester = (await createApiKey(store.db, { tenant: "acme", actor: "alice", roles: ["requester"] })).key;
    // One after the other: both would otherwise migrate at once (the advisory lock serialises it, slowly).
    first = await serve("A");
    second = await serve("B");
  }, 120_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const stopped = Promise.all(children.map((child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.on("close", () => resolve())))));
    const timer = setTimeout(() => children.forEach((child) => child.exitCode === null && child.kill("SIGKILL")), 10_000);
    await stopped;
    clearTimeout(timer);
    await store?.close();
  }, 30_000);

  it("both processes keep their checkpoints in the schema DATABASE_URL's search_path names", async () => {
    expect((await startRun(first)).status).toBe(200);
    const { rows } = await store.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM checkpoints WHERE thread_id IN (SELECT tenant_id || '/' || thread_id FROM runs)",
    );
    expect(rows[0]!.n).toBeGreaterThan(0);
  });

  it("a runtime switched off through process A refuses runs in B within a second, and cleared through B lets A run again", async () => {
    // B has just read the flags table (no switch), so it will go on using that read for up to a second.
    expect((await startRun(second)).status).toBe(200);

    const set = await call(first, admin, "PUT", "/v1/admin/flags", { kind: "runtime", reason: "bad deploy" });
    expect(set.status).toBe(200);
    const setAt = performance.now();
    // The process that set the switch refuses at once: its own cache was dropped by the write.
    const refusedByA = await startRun(first);
    expect(refusedByA.status).toBe(503);
    expect(refusedByA.body.error).toMatchObject({ code: "RUNTIME_DISABLED", message: expect.stringContaining("bad deploy") });

    const inB = await untilRunAnswers(second, 503, setAt);
    expect(inB.reply.body.error).toMatchObject({ code: "RUNTIME_DISABLED", message: expect.stringContaining("bad deploy") });
    // At most 1 s stale: no run sent to B more than 1 s after the switch was accepted (0.1 s for the two clocks'
    // reading points: ours before fetch, the server's after parsing the request, which only makes it later).
    expect(inB.lastOldSentAt).toBeLessThan(1100);

    const cleared = await call(second, admin, "PUT", "/v1/admin/flags", { kind: "runtime", disabled: false });
    expect(cleared.status).toBe(200);
    expect(cleared.body.flags).toEqual([]);
    const clearedAt = performance.now();
    expect((await startRun(second)).status).toBe(200);
    const inA = await untilRunAnswers(first, 200, clearedAt);
    expect(inA.reply.body).toMatchObject({ status: "completed" });
    expect(inA.lastOldSentAt).toBeLessThan(1100);
  }, 60_000);
});
