import { loadConfig } from "../runtime/config.js";
import { progress } from "./step-progress.js";

/** `warden migrate`: opening the store applies migrations under an advisory lock and seeds an empty database. */
export async function runMigrate(): Promise<void> {
  const config = loadConfig();
  // The full store (checkpointer tables included: a deployment may migrate before any server starts), so the
  // checkpointer's modules load here, after the line says what is happening.
  progress.step(config.DATABASE_URL ? "applying migrations to Postgres" : `applying migrations to the embedded database in ${config.WARDEN_DATA_DIR}`);
  const { openStore } = await import("../store/open-store.js");
  const store = await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR }).finally(() => progress.done());
  try {
    const { rows } = await store.db.query<{ version: number; name: string }>("SELECT version, name FROM warden_migrations ORDER BY version");
    for (const row of rows) console.log(`applied ${row.name}`);
    console.log(`database ready (${store.db.kind}${store.db.kind === "pglite" ? ` at ${config.WARDEN_DATA_DIR}` : ""})`);
  } finally {
    await store.close();
  }
}
