import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createApiKey } from "../../src/server/api-keys.js";
import type { Queryable } from "../../src/store/db.js";

/**
 * The chaos suites' tools (test/chaos-*.test.ts): worker processes that can be SIGKILLed and restarted, a client
 * that retries a request whose connection died with the same Idempotency-Key against another live worker, and the
 * databases the suites own.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const randomBetween = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

/** Environment every chaos worker gets: a free port, no model key, no rate limit (the client sends bursts). */
export function workerEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: "0",
    HOST: "127.0.0.1",
    OPENAI_API_KEY: "",
    OPENAI_BASE_URL: "",
    WARDEN_RATE_LIMIT_MAX: "0",
    WARDEN_RUN_LEASE_MS: "3000",
    WARDEN_RUN_POLL_MS: "200",
    WARDEN_RUN_RETRY_DELAY_MS: "200",
    WARDEN_RUN_WAIT_MS: "15000",
    ...extra,
  };
}

/**
 * One slot of `test/helpers/chaos-worker.ts`: a server process that is started, SIGKILLed (by the test, or by
 * itself inside a refund effect) and started again, with a new port each time. `autoRestart` brings it back after
 * any death while the chaos lasts.
 */
export class ChaosWorker {
  child: ChildProcess | undefined;
  url: string | undefined;
  /** Every line this slot's processes printed, across restarts. */
  output = "";
  /** Processes started in this slot. */
  starts = 0;
  autoRestart = false;
  private starting: Promise<void> | undefined;
  private closed = false;

  constructor(
    readonly slot: number,
    private readonly env: Record<string, string | undefined>,
  ) {}

  get alive(): boolean {
    return this.url !== undefined && this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts a process (unless one is starting) and resolves when it listens. */
  start(): Promise<void> {
    if (this.alive) return Promise.resolve();
    this.starting ??= this.spawnOnce().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private spawnOnce(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.starts++;
    const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/chaos-worker.ts"], { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.url = undefined;
    let pending = "";
    return new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        this.output += text;
        pending += text;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          if (!line.includes('"warden listening"')) continue;
          const url = /"url":"(http:\/\/[^"]+)"/.exec(line)?.[1];
          if (url && this.child === child) {
            this.url = url;
            resolve();
          }
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.on("exit", (code, signal) => {
        this.output += `\n[slot ${this.slot}: pid ${child.pid} exited, code ${code}, signal ${signal}]\n`;
        if (this.child === child) this.url = undefined;
        reject(new Error(`worker ${this.slot} exited (code ${code}, signal ${signal}) before listening:\n${this.output.slice(-4000)}`));
        if (this.autoRestart && !this.closed && this.child === child) {
          // Back after a moment, like a supervisor would bring it back.
          setTimeout(() => void this.start().catch(() => {}), randomBetween(100, 600));
        }
      });
    });
  }

  /** SIGKILL: no shutdown, no handback; its leases run out and other workers recover its runs. */
  kill9(): boolean {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return false;
    this.url = undefined;
    return this.child.kill("SIGKILL");
  }

  /** Stops for good (teardown): SIGKILL, and resolves once the process is gone. */
  async close(): Promise<void> {
    this.closed = true;
    this.autoRestart = false;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  }

  /** For a failed test: this slot's last warnings, errors, chaos notes and lines not logged as JSON (crashes). */
  report(limit = 40): string {
    const lines = this.output.split("\n").filter((line) => {
      if (line.trim() === "") return false;
      if (!line.startsWith("{")) return true;
      return /"level":(4|5|6)\d|"msg":"chaos/.test(line);
    });
    return `worker ${this.slot} (${this.starts} starts):\n${lines.slice(-limit).map((line) => line.slice(0, 800)).join("\n")}`;
  }
}

export interface Attempt {
  slot: number;
  /** The HTTP status, or the connection failure. */
  status?: number;
  error?: string;
  body?: unknown;
}

export interface CallResult<T = Record<string, any>> {
  status: number;
  body: T;
  /** Every try, the last one included (a retry follows a dead connection or a 503). */
  attempts: Attempt[];
}

export interface ChaosRequest {
  method: "GET" | "POST";
  path: string;
  /** The API key (Bearer). */
  key: string;
  idempotencyKey?: string;
  body?: unknown;
  timeoutMs?: number;
}

/** One try against one worker: its status and body, or how the connection failed. */
export async function sendOnce(worker: ChaosWorker, request: ChaosRequest): Promise<Attempt> {
  const url = worker.url;
  if (!url) return { slot: worker.slot, error: "not listening" };
  try {
    const response = await fetch(`${url}${request.path}`, {
      method: request.method,
      headers: {
        authorization: `Bearer ${request.key}`,
        ...(request.idempotencyKey ? { "idempotency-key": request.idempotencyKey } : {}),
        ...(request.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(request.timeoutMs ?? 45_000),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // kept as text: the test reports it
    }
    return { slot: worker.slot, status: response.status, body };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { slot: worker.slot, error: `${(error as Error).name}: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
}

/**
 * Sends a request to a live worker, preferring `prefer`; when the connection dies (the worker was killed) or the
 * answer is 503, it sends the same request with the same Idempotency-Key to another live worker. Bounded by
 * `deadline` (epoch ms) and `maxAttempts`. Any other answer is returned as it is, for the test to judge.
 */
export async function callWithRetry(
  workers: ChaosWorker[],
  request: ChaosRequest & { prefer?: number; deadline: number; maxAttempts?: number },
): Promise<CallResult> {
  const attempts: Attempt[] = [];
  const maxAttempts = request.maxAttempts ?? 100;
  let next = request.prefer ?? 0;
  while (attempts.length < maxAttempts && Date.now() < request.deadline) {
    const live = workers.filter((worker) => worker.alive);
    if (live.length === 0) {
      await sleep(100);
      continue;
    }
    const worker = live.find((candidate) => candidate.slot === next % workers.length) ?? live[randomBetween(0, live.length - 1)]!;
    next = worker.slot + 1; // a retry goes to another worker
    const timeoutMs = Math.max(1000, Math.min(request.timeoutMs ?? 45_000, request.deadline - Date.now()));
    const attempt = await sendOnce(worker, { ...request, timeoutMs });
    attempts.push(attempt);
    if (attempt.status !== undefined && attempt.status !== 503) return { status: attempt.status, body: attempt.body as Record<string, any>, attempts };
    await sleep(attempt.status === 503 ? 200 : 100);
  }
  const last = attempts.at(-1);
  throw new Error(`${request.method} ${request.path} gave up after ${attempts.length} attempts; last: ${JSON.stringify(last)}`);
}

/**
 * A client's view across a chaos test: every HTTP status any attempt saw (`statuses`, for "never a 500"), and
 * `follow`, which long-polls a run with GET /wait until it is `until` (or stable otherwise: the assertions then show
 * it). The caller asserts on what `follow` returns; a 2xx other than 200/202 fails at once.
 */
export function runFollower(workers: ChaosWorker[], key: string, deadline: number, rounds: number) {
  const statuses: number[] = [];
  const note = (result: CallResult) => {
    for (const attempt of result.attempts) if (attempt.status !== undefined) statuses.push(attempt.status);
    return result;
  };
  async function follow(runId: string, until: string): Promise<Record<string, any>> {
    for (let round = 0; round < rounds && Date.now() < deadline; round++) {
      const result = note(await callWithRetry(workers, { method: "GET", path: `/v1/runs/${runId}/wait?timeout_s=10`, key, deadline }));
      if (result.status !== 200 && result.status !== 202) throw new Error(`GET /wait answered ${result.status}: ${JSON.stringify(result.body)}`);
      if (result.body.status === until || result.status === 200) return result.body;
    }
    throw new Error(`run ${runId} did not become ${until} in time`);
  }
  return { statuses, note, follow };
}

/** A database of the suite's own on the test's Postgres server (DATABASE_URL names the server). */
export async function createDatabase(serverUrl: string, prefix: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** The two keys the suites act with: acme `alice` starts runs, acme `bob` approves them. */
export async function chaosKeys(db: Queryable & Parameters<typeof createApiKey>[0]): Promise<{ requester: string; approver: string }> {
  const requester = await createApiKey(db, { tenant: "acme", actor: "alice", roles: ["requester"] });
  const approver = await createApiKey(db, { tenant: "acme", actor: "bob", roles: ["approver"] });
  return { requester: requester.key, approver: approver.key };
}

/** `count` delivered orders `X-0001`... with distinct totals (cents), for one refund each. */
export async function addChaosOrders(db: Queryable, count: number): Promise<Array<{ orderId: string; totalCents: number }>> {
  const orders = Array.from({ length: count }, (_, index) => ({ orderId: `X-${String(index + 1).padStart(4, "0")}`, totalCents: 1000 + index * 137 }));
  await db.query(
    `INSERT INTO orders (tenant_id, order_id, customer_email, total_cents, status, delivered_at)
     SELECT 'acme', o.order_id, 'casey@example.com', o.total_cents, 'delivered', now() - interval '3 days'
     FROM unnest($1::text[], $2::int[]) AS o(order_id, total_cents)`,
    [orders.map((order) => order.orderId), orders.map((order) => order.totalCents)],
  );
  return orders;
}

export const refundGoalOf = (orderId: string) => `Refund order ${orderId}, it arrived broken.`;

