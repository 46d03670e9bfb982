import cluster from "node:cluster";
import { loadConfig, type Config } from "../runtime/config.js";
import { bootstrapAdminKey, type CreatedApiKey } from "../server/api-keys.js";
import { runPrimary, workerSlot } from "../server/cluster.js";
import { progress } from "./step-progress.js";

function printAdminKey(created: CreatedApiKey): void {
  process.stdout.write(
    `\nCreated the first admin key (tenant ${created.tenant}, actor ${created.actor}, roles ${created.roles.join(",")}).\n` +
      `It is shown only this once; store it now:\n\n  ${created.key}\n\n`,
  );
}

/**
 * The cluster primary's one use of the database, before any worker starts: migrations and the checkpointer's
 * tables (the saver's own setup takes no lock, so N workers creating them at once could collide), the seed, and
 * the bootstrap admin key, printed here once. Closed again: the primary keeps no pool.
 */
async function prepareDatabase(config: Config): Promise<void> {
  const { openStore } = await import("../store/open-store.js");
  const store = await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR });
  try {
    const adminKey = await bootstrapAdminKey(store.db);
    if (adminKey) printAdminKey(adminKey);
  } finally {
    await store.close();
  }
}

/**
 * `warden serve`: the HTTP API on PORT/HOST until SIGTERM or SIGINT, then a graceful stop (in-flight requests
 * finish, the database closes) and exit code 0. A second signal during the stop exits at once with 1.
 * With WARDEN_WORKERS > 1 this process becomes the cluster primary (src/server/cluster.ts) and each worker runs
 * this same function as a single server. Resolves with the exit code once stopped.
 */
export async function runServe(): Promise<number> {
  const config = loadConfig();
  // A few seconds pass before the first log line (modules, the database, migrations, the job queue; initdb on a
  // new PGlite directory). One line that stays, on a terminal only: the server's log follows it on stdout.
  if (cluster.isPrimary) progress.note(`starting (${config.DATABASE_URL ? "Postgres" : `embedded database in ${config.WARDEN_DATA_DIR}`}; "warden listening" when ready)`);
  if (cluster.isPrimary && config.WARDEN_WORKERS > 1) {
    return runPrimary({ workers: config.WARDEN_WORKERS, databaseUrl: config.DATABASE_URL, prepare: () => prepareDatabase(config) });
  }
  const worker = workerSlot();
  // In a cluster, worker 1 alone runs the sweeps and the prune: they are idempotent deletes, N copies would only
  // contend for the same rows. Its replacement (same slot) takes them over if it dies.
  const { startServer } = await import("../server/serve.js");
  const server = await startServer({ onAdminKey: printAdminKey, worker, periodicJobs: worker === undefined || worker === 1 });
  // Ctrl-C reaches the whole process group; the primary turns it into one SIGTERM per worker. A worker acting on
  // the SIGINT too would count that SIGTERM as a second signal and stop without waiting.
  if (worker !== undefined) process.on("SIGINT", () => {});
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        server.app.log.warn({ signal }, "second signal: exiting without waiting");
        process.exit(1);
      }
      stopping = true;
      server.app.log.info({ signal }, "shutting down: finishing in-flight requests");
      server.close().then(
        () => {
          server.app.log.info("stopped");
          resolve(0);
        },
        (error: unknown) => {
          server.app.log.error({ err: error }, "shutdown failed");
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", stop);
    if (worker === undefined) process.on("SIGINT", stop);
  });
}
