import { loadConfig } from "../runtime/config.js";
import { openStore } from "../store/open-store.js";

/** `warden migrate`: opening the store applies migrations under an advisory lock and seeds an empty database. */
export async function runMigrate(): Promise<void> {
  const config = loadConfig();
  const store = await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR });
  try {
    const { rows } = await store.db.query<{ version: number; name: string }>("SELECT version, name FROM warden_migrations ORDER BY version");
    for (const row of rows) console.log(`applied ${row.name}`);
    console.log(`database ready (${store.db.kind}${store.db.kind === "pglite" ? ` at ${config.WARDEN_DATA_DIR}` : ""})`);
  } finally {
    await store.close();
  }
}
