import cluster, { type Worker } from "node:cluster";
import { hostname } from "node:os";
import { pino } from "pino";
import { WardenError } from "../errors.js";

/**
 * `WARDEN_WORKERS` > 1: one primary process that serves nothing itself, and N worker processes that each run the
 * whole server (`startServer`) on the same port. node:cluster hands the primary's accepted connections to the
 * workers in turn (round-robin), so one CPU-bound event loop per core.
 */

/** Set by the primary in each worker's environment: its slot 1..N. A replacement keeps the slot it replaces. */
const SLOT_ENV = "WARDEN_WORKER_SLOT";
/** A slot's first restart waits 1 s; each further unexpected exit within 5 minutes doubles it, up to 30 s. */
const FIRST_RESTART_DELAY_MS = 1000;
const CRASH_WINDOW_MS = 5 * 60_000;
const MAX_RESTART_DELAY_MS = 30_000;

export interface ClusterOptions {
  /** Worker processes, ≥ 2 (1 is the plain single-process server, no primary). */
  workers: number;
  /** Must be set: workers share one Postgres. PGlite (unset) is refused. */
  databaseUrl: string | undefined;
  /**
   * Runs once in the primary before any worker starts: migrations, the checkpointer's tables, the seed and the
   * bootstrap admin key. The workers then find all of it done, so none prints a key.
   */
  prepare(): Promise<void>;
}

/** This process's worker slot (1..N) when it is a cluster worker; undefined in a single process or the primary. */
export function workerSlot(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const slot = Number(process.env[SLOT_ENV]);
  return Number.isInteger(slot) && slot > 0 ? slot : undefined;
}

/** Throws STORE_LOCKED when `workers` > 1 without DATABASE_URL: PGlite's data directory admits one process. */
export function assertClusterable(workers: number, databaseUrl: string | undefined): void {
  if (workers > 1 && !databaseUrl) {
    throw new WardenError(
      "STORE_LOCKED",
      `WARDEN_WORKERS=${workers} needs DATABASE_URL (Postgres): the embedded PGlite database is single-process, ` +
        "one process holds its data directory. Set DATABASE_URL, or WARDEN_WORKERS=1.",
      { details: { workers } },
    );
  }
}

/** The primary's own log lines, in the workers' (Fastify's pino) JSON shape, so one log pipeline reads both. */
const logger = pino({ base: { pid: process.pid, hostname: hostname(), role: "primary" } });
function log(level: "info" | "warn" | "error", fields: Record<string, unknown>, msg: string): void {
  logger[level](fields, msg);
}

/**
 * The primary: prepares the database, forks the workers, replaces a worker that dies (with a growing delay), and on
 * SIGTERM/SIGINT sends SIGTERM to every worker (each finishes its in-flight requests) and resolves once all have
 * exited: 0 when every worker stopped cleanly, 1 otherwise. A worker that exits before all have listened once is a
 * start failure (port in use, bad config): everything stops and it resolves 1 rather than looping.
 */
export async function runPrimary(options: ClusterOptions): Promise<number> {
  assertClusterable(options.workers, options.databaseUrl);
  await options.prepare();
  const slots = new Map<Worker, number>();
  const listened = new Set<number>();
  const crashes = new Map<number, number[]>();
  const pendingRestarts = new Set<NodeJS.Timeout>();
  let ready = false;
  let stopping = false;
  let failed = false;

  const fork = (slot: number) => slots.set(cluster.fork({ [SLOT_ENV]: String(slot) }), slot);

  return new Promise<number>((resolve) => {
    const finishIfEmpty = () => {
      if (stopping && slots.size === 0) {
        log(failed ? "error" : "info", {}, "stopped");
        resolve(failed ? 1 : 0);
      }
    };
    const stop = (signal: NodeJS.Signals | undefined) => {
      if (stopping) {
        if (!signal) return;
        log("warn", { signal }, "second signal: killing the workers without waiting");
        for (const worker of slots.keys()) worker.process.kill("SIGKILL");
        process.exit(1);
      }
      stopping = true;
      for (const timer of pendingRestarts) clearTimeout(timer);
      pendingRestarts.clear();
      log("info", { signal, workers: slots.size }, "shutting down: workers finish their in-flight requests");
      for (const worker of slots.keys()) worker.process.kill("SIGTERM");
      finishIfEmpty();
    };

    cluster.on("listening", (worker, address) => {
      const slot = slots.get(worker);
      if (slot === undefined) return;
      listened.add(slot);
      if (!ready && listened.size === options.workers) {
        ready = true;
        log("info", { workers: options.workers, port: address.port }, "warden cluster ready");
      }
    });

    cluster.on("exit", (worker, code, signal) => {
      const slot = slots.get(worker);
      if (slot === undefined) return;
      slots.delete(worker);
      const pid = worker.process.pid;
      if (stopping) {
        if (code !== 0) failed = true;
        finishIfEmpty();
        return;
      }
      if (!ready) {
        log("error", { worker: slot, worker_pid: pid, code, signal }, "a worker exited while starting: stopping");
        failed = true;
        stop(undefined);
        return;
      }
      const now = Date.now();
      const recent = [...(crashes.get(slot) ?? []).filter((at) => now - at < CRASH_WINDOW_MS), now];
      crashes.set(slot, recent);
      const delayMs = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (recent.length - 1));
      log("warn", { worker: slot, worker_pid: pid, code, signal, delayMs }, "worker exited unexpectedly: restarting it");
      const timer = setTimeout(() => {
        pendingRestarts.delete(timer);
        fork(slot);
      }, delayMs);
      pendingRestarts.add(timer);
    });

    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    log("info", { workers: options.workers }, "starting workers");
    for (let slot = 1; slot <= options.workers; slot++) fork(slot);
  });
}
