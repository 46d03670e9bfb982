import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/runtime/config.js";
import { freePort, isAlive } from "../helpers/processes.js";

const databaseUrl = process.env.DATABASE_URL;

interface Serve {
  child: ChildProcess;
  output(): string;
  /** Every JSON log line so far (the primary's and the workers'). */
  logs(): Array<Record<string, any>>;
  /** Resolves once `check` holds for the output so far; rejects if the process exits first. */
  until<T>(check: () => T | undefined | false): Promise<T>;
  exited: Promise<number | null>;
}

function serve(env: Record<string, string | undefined>): Serve {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let wake = () => {};
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    wake();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const logs = () =>
    output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, any>);
  const until = <T,>(check: () => T | undefined | false) =>
    new Promise<T>((resolve, reject) => {
      const test = () => {
        const value = check();
        if (value !== undefined && value !== false) resolve(value);
      };
      const previous = wake;
      wake = () => {
        previous();
        test();
      };
      test();
      void exited.then(() => reject(new Error(`serve exited (code ${child.exitCode}) before the expected output:\n${output}`)));
    });
  return { child, output: () => output, logs, until, exited };
}

describe("WARDEN_WORKERS setting", () => {
  it("is 1 by default, `auto` means one worker per core, and 0 or 65 are refused", () => {
    expect(loadConfig({}).WARDEN_WORKERS).toBe(1);
    expect(loadConfig({ WARDEN_WORKERS: "3" }).WARDEN_WORKERS).toBe(3);
    expect(loadConfig({ WARDEN_WORKERS: "auto" }).WARDEN_WORKERS).toBe(Math.min(64, availableParallelism()));
    expect(() => loadConfig({ WARDEN_WORKERS: "0" })).toThrow();
    expect(() => loadConfig({ WARDEN_WORKERS: "65" })).toThrow();
  });

  it("with WARDEN_WORKERS=2 and no DATABASE_URL, serve refuses at start (PGlite is single-process) and opens nothing", async () => {
    const parent = mkdtempSync(join(tmpdir(), "warden-cluster-"));
    const dataDir = join(parent, "pgdata");
    try {
      const refused = serve({ DATABASE_URL: "", WARDEN_DATA_DIR: dataDir, WARDEN_WORKERS: "2", PORT: "0", HOST: "127.0.0.1" });
      expect(await refused.exited).toBe(1);
      expect(refused.output()).toMatch(/error STORE_LOCKED: WARDEN_WORKERS=2 needs DATABASE_URL \(Postgres\)/);
      expect(refused.output()).not.toMatch(/warden listening|admin key/);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  }, 60_000);
});

/**
 * `warden serve` as a cluster of two workers on one Postgres: a real primary and real workers on a real port, in a
 * fresh empty schema (the primary migrates and seeds it).
 */
describe.skipIf(!databaseUrl)("warden serve with WARDEN_WORKERS=2 on Postgres", () => {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  let server: Serve;
  let port: number;
  let adminKey: string;
  const workerPids = new Set<number>();

  async function admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  /** POST /v1/runs on a new connection each time (the cluster hands out connections, not requests). */
  function postRun(requestId: string): Promise<{ status: number; body: Record<string, any> }> {
    const body = JSON.stringify({ goal: "Where is my order A-1001?" });
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/v1/runs",
          agent: false,
          headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-request-id": requestId },
        },
        (response) => {
          let text = "";
          response.on("data", (chunk: Buffer) => (text += chunk.toString()));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, any> }));
        },
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }

  /** The pid of the worker that logged the request with this id. */
  const servedBy = (requestId: string) => server.until(() => server.logs().find((line) => line.request_id === requestId && line.msg === "incoming request")?.pid as number | undefined);

  const listening = () => server.logs().filter((line) => line.msg === "warden listening");

  beforeAll(async () => {
    await admin(`CREATE SCHEMA "${schema}"`);
    port = await freePort();
    const url = new URL(databaseUrl!);
    url.searchParams.set("options", `-c search_path=${schema}`);
    server = serve({ DATABASE_URL: url.toString(), WARDEN_WORKERS: "2", PORT: String(port), HOST: "127.0.0.1", OPENAI_API_KEY: "", WARDEN_RATE_LIMIT_MAX: "0" });
    // The primary's "ready" and the workers' own "warden listening" lines come through different pipes: wait for all.
    await server.until(() => server.logs().some((line) => line.msg === "warden cluster ready") && listening().length === 2);
    for (const line of listening()) workerPids.add(line.pid);
  }, 120_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill("SIGKILL");
      await server.exited;
    }
    for (const pid of workerPids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
    await admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }, 30_000);

  it("prints the admin key exactly once, and two workers (not the primary) listen on the port", () => {
    const keys = [...server.output().matchAll(/It is shown only this once; store it now:\s+(wdn_\S+)/g)].map((match) => match[1]!);
    expect(keys).toHaveLength(1);
    adminKey = keys[0]!;
    const workers = listening();
    expect(workers.map((line) => line.worker).sort()).toEqual([1, 2]);
    expect(workers.map((line) => line.url)).toEqual([`http://127.0.0.1:${port}`, `http://127.0.0.1:${port}`]);
    expect(workerPids.size).toBe(2);
    expect(workerPids.has(server.child.pid!)).toBe(false);
  });

  it("spreads connections over both workers, and every run completes", async () => {
    const served = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const reply = await postRun(`spread-${i}`);
      expect(reply.status).toBe(200);
      expect(reply.body.status).toBe("completed");
      served.add(await servedBy(`spread-${i}`));
    }
    expect(served).toEqual(workerPids);
  }, 60_000);

  it("replaces a killed worker and keeps answering meanwhile", async () => {
    const worker2 = listening().find((line) => line.worker === 2)!.pid as number;
    process.kill(worker2, "SIGKILL");
    await server.until(() => server.logs().some((line) => line.msg === "worker exited unexpectedly: restarting it" && line.worker_pid === worker2));
    // The survivor answers while worker 2 is being replaced.
    const during = await postRun("during-restart");
    expect(during.body.status).toBe("completed");
    const replacement = await server.until(() => listening().find((line) => line.worker === 2 && line.pid !== worker2)?.pid as number | undefined);
    workerPids.add(replacement);
    const served = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const reply = await postRun(`after-restart-${i}`);
      expect(reply.body.status).toBe("completed");
      served.add(await servedBy(`after-restart-${i}`));
    }
    expect(served.has(replacement)).toBe(true);
    expect(served.has(worker2)).toBe(false);
    // The primary's key is still the only one: the replacement printed none.
    expect([...server.output().matchAll(/It is shown only this once/g)]).toHaveLength(1);
  }, 60_000);

  it("on SIGTERM the workers stop gracefully, the primary exits 0 and no worker is left", async () => {
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.logs().filter((line) => line.msg === "stopped" && line.role !== "primary")).toHaveLength(2);
    for (const pid of workerPids) expect(isAlive(pid), `worker ${pid} is still running`).toBe(false);
  }, 60_000);
});
