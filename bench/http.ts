import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { createRuntime, type Runtime } from "../src/runtime/create-runtime.js";
import { createApiKey } from "../src/server/api-keys.js";
import { createApp, type WardenApp } from "../src/server/create-app.js";
import type { Queryable } from "../src/store/db.js";
import { openBackend, type BenchBackend } from "./backends.js";
import type { BackendName, BenchOptions } from "./options.js";
import { profileRuns, type ProfileResult } from "./profile.js";
import { profileDb } from "./sql-profile.js";

/** The team's target for the HTTP figure: governed runs per second through the server, on Postgres. */
export const HTTP_TARGET_RUNS_PER_SECOND = 300;

/** A run that needs no approval: the support agent looks the order up and answers (status "completed"). */
export const HTTP_GOAL = "Where is my order A-1001?";

/** What autocannon reports, as far as the bench reads it (the package ships no types). */
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  statusCodeStats: Record<string, { count: number }>;
  latency: { p50: number; p99: number; average: number };
  requests: { sent: number };
}
type Autocannon = (options: {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
  timeout: number;
  workers: number;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

/** One backend's HTTP measurement: POST /v1/runs from `connections` keep-alive clients for `seconds`. */
export interface HttpResult {
  backend: BackendName;
  connections: number;
  /** Measured seconds (autocannon's own clock). */
  seconds: number;
  /** 2xx responses; each one is a completed run (checked against the runs table afterwards). */
  ok: number;
  /** Responses with another status, by status code (runs/s counts only 2xx). */
  non2xx: Record<string, number>;
  /** Socket errors and request timeouts seen by the clients. */
  errors: number;
  timeouts: number;
  /** Completed runs minus 2xx: requests still in flight when the clients stopped, finished by the server. */
  inFlightAtStop: number;
  runsPerSecond: number;
  latencyMs: { p50: number; p99: number; mean: number };
  /** Db.statementCount delta / completed runs (auth's key lookups included, cached by the verifier). */
  statementsPerRun: number;
  /**
   * Share of the measurement the server's event loop was busy (main thread only; the clients run in a worker
   * thread). Near 1 means the server is CPU-bound on its one thread, whatever the database does.
   */
  loopUtilization: number;
  /**
   * Busy event-loop time per completed run, in ms, from the start of the load until the last run finished: the
   * server's CPU cost of one run (PGlite's included: it runs on this thread), inflated when the VM is short of CPU.
   */
  loopBusyMsPerRun: number;
  /** Statements by category for a few agent runs through the runtime directly (same run, no HTTP). */
  profile?: ProfileResult;
}

export type HttpBackendResult = HttpResult | { backend: BackendName; skipped: string };

const log = (message: string) => process.stderr.write(`${message}\n`);

async function countRunsByStatus(db: Queryable): Promise<Map<string, number>> {
  const { rows } = await db.query<{ status: string; n: number }>("SELECT status, count(*)::int AS n FROM runs WHERE tenant_id = 'acme' GROUP BY status");
  return new Map(rows.map((row) => [row.status, row.n]));
}

function statusDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [status, n] of after) {
    const change = n - (before.get(status) ?? 0);
    if (change !== 0) delta.set(status, change);
  }
  return delta;
}

/**
 * The runtime the app gets, counting `start` calls in flight. When the clients stop they drop their sockets,
 * and the server cannot tell: the runs those requests started go on, and the runs table is only checked after.
 */
function trackStarts(runtime: Runtime): { runtime: Runtime; settled(): Promise<void> } {
  let inFlight = 0;
  let waiters: Array<() => void> = [];
  const done = () => {
    if (--inFlight > 0) return;
    for (const wake of waiters) wake();
    waiters = [];
  };
  return {
    runtime: {
      ...runtime,
      start(envelope, options) {
        inFlight++;
        return runtime.start(envelope, options).finally(done);
      },
    },
    settled: () => (inFlight === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
  };
}

/** Sends one POST /v1/runs and throws unless the run completed (warm-up, and a check that the setup works). */
async function postRun(url: string, headers: Record<string, string>): Promise<void> {
  const response = await fetch(`${url}/v1/runs`, { method: "POST", headers, body: JSON.stringify({ goal: HTTP_GOAL }) });
  const body = (await response.json()) as { status?: string };
  if (response.status !== 200 || body.status !== "completed") {
    throw new Error(`warm-up POST /v1/runs answered ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
}

/** A few agent runs through the classifying Db wrapper: which statements one run sends. */
async function profileAgentRuns(backend: BenchBackend, options: BenchOptions): Promise<ProfileResult> {
  const { db, profiler } = profileDb(backend.db);
  const runtime = await createRuntime({ store: await backend.store(db), env: {}, durability: options.durability });
  const run = async (afterStart: () => void) => {
    const record = await runtime.start({ tenant: "acme", actor: "alice", roles: ["requester"], goal: HTTP_GOAL });
    if (record.status !== "completed") throw new Error(`profiled agent run ended ${record.status}`);
    afterStart();
  };
  try {
    await run(() => {});
    return await profileRuns(run, options.profileRuns, db, profiler);
  } finally {
    await runtime.close();
  }
}

/** Drives the listening app and checks afterwards that every 2xx is a completed run and nothing else happened. */
async function measure(
  backend: BenchBackend,
  app: WardenApp,
  settled: () => Promise<void>,
  url: string,
  headers: Record<string, string>,
  options: BenchOptions,
): Promise<HttpResult> {
  const { httpConnections: connections, httpDuration: duration } = options;
  const before = await countRunsByStatus(backend.db);
  const statementsBefore = backend.db.statementCount();
  const loopBefore = performance.eventLoopUtilization();
  // One worker thread: the load generator's own JavaScript must not share the server's event loop.
  const result = await autocannon({ url: `${url}/v1/runs`, method: "POST", headers, body: JSON.stringify({ goal: HTTP_GOAL }), connections, duration, timeout: 30, workers: 1 });
  const loop = performance.eventLoopUtilization(loopBefore);
  // No new requests (close() stops accepting and ends idle sockets), then the runs already started finish.
  await app.close();
  await settled();
  // Busy time up to here covers all the work of the completed runs (none was in flight when the load began).
  const busyMs = performance.eventLoopUtilization(loopBefore).active;
  const statements = backend.db.statementCount() - statementsBefore;
  const delta = statusDelta(before, await countRunsByStatus(backend.db));
  const completed = delta.get("completed") ?? 0;
  const ok = result["2xx"];
  const others = [...delta].filter(([status]) => status !== "completed");
  if (others.length > 0 || completed < ok || completed > ok + connections) {
    throw new Error(
      `[${backend.name}] http: ${ok} 2xx responses but the runs table gained ${[...delta].map(([status, n]) => `${n} ${status}`).join(", ") || "nothing"} ` +
        `(expected only completed runs, between ${ok} and ${ok + connections})`,
    );
  }
  const non2xx = Object.fromEntries(Object.entries(result.statusCodeStats).filter(([code]) => !code.startsWith("2")).map(([code, stats]) => [code, stats.count]));
  return {
    backend: backend.name,
    connections,
    seconds: result.duration,
    ok,
    non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    inFlightAtStop: completed - ok,
    runsPerSecond: ok / result.duration,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average },
    statementsPerRun: completed > 0 ? statements / completed : 0,
    loopUtilization: loop.utilization,
    loopBusyMsPerRun: completed > 0 ? busyMs / completed : 0,
  };
}

/**
 * The HTTP figure for one backend: a fresh database (in-memory PGlite, or a `bench_<random>` schema on
 * DATABASE_URL), a runtime with the offline model, the app without rate limit or logs on 127.0.0.1:0, one
 * requester key, warm-up requests, then autocannon for `httpDuration` seconds with `httpConnections` clients.
 */
export async function benchHttp(name: BackendName, options: BenchOptions): Promise<HttpBackendResult> {
  if (name === "postgres" && !options.databaseUrl) return { backend: name, skipped: "skipped (set DATABASE_URL)" };
  log(`[${name}] http: opening…`);
  const backend = await openBackend(name, options.databaseUrl);
  let runtime: Runtime | undefined;
  let app: WardenApp | undefined;
  try {
    runtime = await createRuntime({ store: await backend.store(backend.db), env: {}, durability: options.durability });
    const tracked = trackStarts(runtime);
    app = createApp({ runtime: tracked.runtime, rateLimit: false, logger: false });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === "string") throw new Error("the bench server has no TCP address");
    const url = `http://127.0.0.1:${address.port}`;
    const { key } = await createApiKey(backend.db, { tenant: "acme", actor: "alice", roles: ["requester"] });
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    // Sequential, then one request per connection at once (fills the pg pool, JIT under concurrency).
    for (let i = 0; i < Math.max(1, options.warmup); i++) await postRun(url, headers);
    await Promise.all(Array.from({ length: options.httpConnections }, () => postRun(url, headers)));
    log(`[${name}] http: ${options.httpConnections} connections for ${options.httpDuration} s…`);
    const result = await measure(backend, app, tracked.settled, url, headers, options);
    log(`[${name}] http: ${result.ok} runs in ${result.seconds} s, ${result.runsPerSecond.toFixed(1)} runs/s, p50 ${result.latencyMs.p50} ms`);
    if (options.profileRuns > 0) result.profile = await profileAgentRuns(backend, options);
    return result;
  } finally {
    await app?.close().catch(() => {});
    await runtime?.close().catch(() => {});
    await backend.close();
  }
}

/** Whether a result meets the ≥ 300 runs/s target; only Postgres results count. */
export function httpTargetMet(result: HttpResult): boolean | null {
  return result.backend === "postgres" ? result.runsPerSecond >= HTTP_TARGET_RUNS_PER_SECOND : null;
}
