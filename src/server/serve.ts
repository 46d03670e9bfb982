import { loadConfig } from "../runtime/config.js";
import { createRuntime, type Runtime, type RuntimeOptions } from "../runtime/create-runtime.js";
import type { RunLogger } from "../runs/run-logger.js";
import { openStore } from "../store/open-store.js";
import { pruneCheckpoints, retentionCutoff } from "../store/prune-checkpoints.js";
import { runtimeChannels } from "../kernel/state.js";
import { bootstrapAdminKey, type CreatedApiKey } from "./api-keys.js";
import { createApp, type AppOptions, type WardenApp } from "./create-app.js";
import { sweepIdempotencyKeys } from "../store/idempotency.js";
import { createMetrics } from "./plugins/metrics.js";

export interface ServeOptions {
  /** Default process.env: PORT, HOST, DATABASE_URL / WARDEN_DATA_DIR, WARDEN_RATE_LIMIT_MAX, timeouts, model settings. */
  env?: Record<string, string | undefined>;
  /** Time to receive a whole request (ms). Default WARDEN_REQUEST_TIMEOUT_MS (60 s). */
  requestTimeoutMs?: number;
  /** Time to read a request body (ms). Default WARDEN_BODY_TIMEOUT_MS (30 s). */
  bodyTimeoutMs?: number;
  /** Default: info-level JSON logs on stdout. */
  logger?: AppOptions["logger"];
  /** Runtime options beyond the environment (tests: tools, a model, short leases). */
  runtime?: Pick<RuntimeOptions, "tools" | "model" | "runs" | "drainTimeoutMs">;
  /** Receives the bootstrap admin key when this start created it (an empty api_keys table). */
  onAdminKey?: (key: CreatedApiKey) => void;
  /** How long close() lets in-flight requests (and open streams) finish before cutting them. Default 30 s. */
  shutdownTimeoutMs?: number;
  /** How often expired idempotency keys are deleted. Default 15 min. */
  sweepIntervalMs?: number;
  /** How often expired long-term memory is deleted. Default WARDEN_MEMORY_SWEEP_INTERVAL_MS (1 hour). */
  memorySweepIntervalMs?: number;
  /** How often checkpoints of finished threads are pruned. Default WARDEN_CHECKPOINT_PRUNE_INTERVAL_MS (1 hour). */
  checkpointPruneIntervalMs?: number;
  /**
   * Run the periodic jobs (idempotency-key sweep, memory sweep, checkpoint prune). Default true; a cluster turns
   * them off in every worker but one, so N processes do not run the same deletes side by side.
   */
  periodicJobs?: boolean;
  /** The cluster worker slot (1..N), added to the "warden listening" log line; unset in a single process. */
  worker?: number;
}

export interface RunningServer {
  app: WardenApp;
  runtime: Runtime;
  /** e.g. http://127.0.0.1:8080 (the real port when PORT=0). */
  url: string;
  /**
   * Graceful stop: stops accepting connections, lets in-flight requests finish (up to shutdownTimeoutMs, then
   * closes what is left), then closes the runtime and the database.
   */
  close(): Promise<void>;
}

/**
 * Opens the store (PGlite unless DATABASE_URL), creates the first admin key on an empty database, and listens.
 *
 * @example
 * const server = await startServer({ onAdminKey: (key) => console.log(key.key) });
 * process.once("SIGTERM", () => server.close().then(() => process.exit(0)));
 */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const store = await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR });
  let runtime: Runtime | undefined;
  let app: WardenApp | undefined;
  try {
    const metrics = createMetrics({ processMetrics: true });
    // Durable execution logs through the server's logger once it exists (recoveries, retries, engine errors).
    const log: RunLogger = {
      info: (fields, message) => app?.log.info(fields, message),
      warn: (fields, message) => app?.log.warn(fields, message),
      error: (fields, message) => app?.log.error(fields, message),
    };
    runtime = await createRuntime({ ...options.runtime, store, env, onTraceEvent: metrics.onTraceEvent, log });
    // Announced before listening: if listen fails, the key is not lost (a later start no longer creates one).
    const adminKey = await bootstrapAdminKey(store.db);
    if (adminKey) options.onAdminKey?.(adminKey);
    app = createApp({
      runtime,
      metrics,
      logger: options.logger ?? { level: "info" },
      rateLimit: config.WARDEN_RATE_LIMIT_MAX === 0 ? false : { max: config.WARDEN_RATE_LIMIT_MAX, timeWindow: 60_000 },
      requestTimeoutMs: options.requestTimeoutMs ?? config.WARDEN_REQUEST_TIMEOUT_MS,
      bodyTimeoutMs: options.bodyTimeoutMs ?? config.WARDEN_BODY_TIMEOUT_MS,
    });
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    await app?.close().catch(() => {});
    await runtime?.close().catch(() => {});
    await store.close().catch(() => {});
    throw error;
  }
  const started = { app, runtime };
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  const url = `http://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${port}`;
  app.log.info({ ...(options.worker === undefined ? {} : { worker: options.worker }), url, database: store.db.kind }, "warden listening");
  const periodicJobs = options.periodicJobs ?? true;

  const sweep = () =>
    sweepIdempotencyKeys(store.db).then(
      (deleted) => deleted > 0 && started.app.log.info({ deleted }, "expired idempotency keys deleted"),
      (error: unknown) => started.app.log.warn({ err: error }, "idempotency key sweep failed"),
    );
  let sweeper: NodeJS.Timeout | undefined;
  if (periodicJobs) {
    void sweep();
    sweeper = setInterval(sweep, options.sweepIntervalMs ?? 15 * 60_000);
    sweeper.unref();
  }

  // Retention: memory past its expires_at is deleted (and audited) here, not only by `warden memory sweep`.
  // One sweep at a time; close() waits for the one in flight so it never runs against a closed database.
  let memorySweeping: Promise<void> | undefined;
  const sweepMemory = () => {
    memorySweeping ??= started.runtime.memory
      .sweep()
      .then(
        ({ deleted }) => {
          if (deleted > 0) started.app.log.info({ deleted }, "expired memory entries deleted");
        },
        (error: unknown) => started.app.log.warn({ err: error }, "memory retention sweep failed"),
      )
      .finally(() => (memorySweeping = undefined));
  };
  let memorySweeper: NodeJS.Timeout | undefined;
  if (periodicJobs) {
    sweepMemory();
    memorySweeper = setInterval(sweepMemory, options.memorySweepIntervalMs ?? config.WARDEN_MEMORY_SWEEP_INTERVAL_MS);
    memorySweeper.unref();
  }

  // Checkpoint retention (the saver has no prune of its own), like the memory sweep: one prune at a time, and
  // close() stops it after its current batch and waits for that. WARDEN_CHECKPOINT_RETENTION_DAYS=0 keeps
  // checkpoints forever: no timer at all.
  let pruning: Promise<void> | undefined;
  const stopPruning = new AbortController();
  const prune = () => {
    const olderThan = retentionCutoff(config.WARDEN_CHECKPOINT_RETENTION_DAYS);
    pruning ??= pruneCheckpoints(store.db, { olderThan, mode: config.WARDEN_CHECKPOINT_PRUNE_MODE, channels: runtimeChannels(), signal: stopPruning.signal })
      .then(
        (counts) => {
          if (counts.threads > 0) started.app.log.info({ ...counts, mode: config.WARDEN_CHECKPOINT_PRUNE_MODE }, "old checkpoints pruned");
        },
        (error: unknown) => started.app.log.warn({ err: error }, "checkpoint prune failed"),
      )
      .finally(() => (pruning = undefined));
  };
  let pruner: NodeJS.Timeout | undefined;
  if (periodicJobs && config.WARDEN_CHECKPOINT_RETENTION_DAYS > 0) {
    prune();
    pruner = setInterval(prune, options.checkpointPruneIntervalMs ?? config.WARDEN_CHECKPOINT_PRUNE_INTERVAL_MS);
    pruner.unref();
  }

  let closing: Promise<void> | undefined;
  return {
    app,
    runtime,
    url,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        clearInterval(memorySweeper);
        clearInterval(pruner);
        stopPruning.abort();
        const force = setTimeout(() => {
          started.app.log.warn("shutdown timeout: closing the connections still open");
          started.app.server.closeAllConnections();
        }, options.shutdownTimeoutMs ?? 30_000);
        force.unref();
        // close() drops the keep-alive sockets idle at that moment; a socket whose request finishes later
        // would otherwise stay open until its keep-alive timeout (72 s) and hold the shutdown.
        const idle = setInterval(() => started.app.server.closeIdleConnections(), 100);
        // The runtime starts closing with the server: runs executing here are handed back at their next step
        // boundary (another worker resumes them), and requests waiting for a run answer at once with the run as it
        // is (202), so no request holds the shutdown for the length of a run.
        const runtimeClosed = started.runtime.close();
        try {
          await started.app.close();
        } finally {
          clearTimeout(force);
          clearInterval(idle);
          await memorySweeping;
          await pruning;
          await runtimeClosed;
          await store.close();
        }
      })();
      return closing;
    },
  };
}
