import { randomBytes } from "node:crypto";
import pg from "pg";
import { supportPack } from "../../src/packs/support/index.js";
import { openStore, type Store, type StoreOptions } from "../../src/store/open-store.js";

/**
 * The backends every storage and graph suite runs on: embedded PGlite always, and the real Postgres server
 * when DATABASE_URL is set. Each Postgres store gets its own schema (dropped on close) so files can run in
 * parallel on one database. Stores hold the support pack's tables and seed unless `packs` says otherwise.
 */
export interface Backend {
  name: "pglite" | "postgres";
  open(options?: Omit<StoreOptions, "databaseUrl" | "dataDir" | "schema">): Promise<Store>;
  /** Opens a second store on the same database as `store` (a fresh process would do the same). */
  reopen(store: Store, options?: Omit<StoreOptions, "databaseUrl" | "dataDir" | "schema">): Promise<Store>;
}

const databaseUrl = process.env.DATABASE_URL;

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

const pglite: Backend = {
  name: "pglite",
  open: (options) => openStore({ packs: [supportPack], ...options, dataDir: "memory://" }),
  async reopen() {
    throw new Error("an in-memory PGlite cannot be reopened; use a data directory");
  },
};

const postgres: Backend = {
  name: "postgres",
  async open(options) {
    const schema = `t_${randomBytes(6).toString("hex")}`;
    const store = await openStore({ packs: [supportPack], ...options, databaseUrl, schema });
    return { ...store, close: async () => { await store.close(); await dropSchema(schema); } };
  },
  async reopen(store, options) {
    return openStore({ packs: [supportPack], ...options, databaseUrl, schema: store.db.schema, seed: false });
  },
};

export const backends: Backend[] = databaseUrl ? [pglite, postgres] : [pglite];
