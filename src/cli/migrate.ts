import { loadConfig } from "../runtime/config.js";
import { progress } from "./step-progress.js";

/**
 * `warden migrate`: opening the store applies the core's and the packs' migrations (those of `warden.config.ts`)
 * under an advisory lock and seeds an empty database.
 */
export async function runMigrate(): Promise<void> {
  const config = loadConfig();
  // The full store (checkpointer tables included: a deployment may migrate before any server starts), so the
  // checkpointer's modules load here, after the line says what is happening.
  progress.step(config.DATABASE_URL ? "applying migrations to Postgres" : `applying migrations to the embedded database in ${config.WARDEN_DATA_DIR}`);
  const { loadWardenConfig } = await import("../runtime/warden-config.js");
  const { openStore } = await import("../store/open-store.js");
  const { listAppliedMigrations } = await import("../store/migrate.js");
  const composed = await loadWardenConfig().catch((error: unknown) => {
    progress.done();
    throw error;
  });
  const options = composed.store ?? { databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR };
  const store = await openStore({ ...options, packs: composed.packs }).finally(() => progress.done());
  try {
    for (const row of await listAppliedMigrations(store.db)) console.log(`applied ${row.scope}/${row.name}`);
    console.log(`database ready (${store.db.kind}${store.db.kind === "pglite" ? ` at ${config.WARDEN_DATA_DIR}` : ""})`);
  } finally {
    await store.close();
  }
}
