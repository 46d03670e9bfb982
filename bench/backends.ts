import { randomBytes } from "node:crypto";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import pg from "pg";
import type { Db } from "../src/store/db.js";
import { supportPack } from "../src/packs/support/index.js";
import { createCheckpointer, openStore, type Store } from "../src/store/open-store.js";
import type { BackendName } from "./options.js";

/**
 * A database plus the checkpointer flavour one backend measures:
 * - memory: Warden's tables on an in-memory PGlite, checkpoints in a `MemorySaver` (raw runs touch no SQL);
 * - pglite: in-memory PGlite for both, the checkpointer being `PostgresSaver` on the Db's pool adapter;
 * - postgres: the server at DATABASE_URL, in a fresh `bench_<random>` schema dropped on close.
 */
export interface BenchBackend {
  name: BackendName;
  db: Db;
  /** Whether checkpoint statements go through `db` (and so show in `db.statementCount()`). */
  sqlCheckpoints: boolean;
  /** A fresh stock checkpointer for one raw measurement, on `db` or on a wrapper of it (the SQL profile). */
  checkpointer(db: Db): Promise<BaseCheckpointSaver>;
  /** A Store for `createRuntime` whose close leaves the database open (the backend owns it). */
  store(db: Db): Promise<Store>;
  close(): Promise<void>;
}

async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export async function openBackend(name: BackendName, databaseUrl: string | undefined): Promise<BenchBackend> {
  let opened: Store;
  let schema: string | undefined;
  if (name === "postgres") {
    if (!databaseUrl) throw new Error("the postgres backend needs DATABASE_URL");
    schema = `bench_${randomBytes(6).toString("hex")}`;
    try {
      opened = await openStore({ databaseUrl, schema, packs: [supportPack] });
    } catch (error) {
      await dropSchema(databaseUrl, schema).catch(() => {});
      throw error;
    }
  } else {
    opened = await openStore({ dataDir: "memory://", packs: [supportPack] });
  }
  const sqlCheckpoints = name !== "memory";
  // Raw LangGraph gets the stock saver (what a plain LangGraph app uses); Warden's store gets its default.
  const checkpointer = async (db: Db): Promise<BaseCheckpointSaver> => (sqlCheckpoints ? createCheckpointer(db, "stock") : new MemorySaver());
  return {
    name,
    db: opened.db,
    sqlCheckpoints,
    checkpointer,
    async store(db) {
      return { db, checkpointer: sqlCheckpoints ? await createCheckpointer(db) : new MemorySaver(), close: async () => {} };
    },
    async close() {
      try {
        await opened.close();
      } finally {
        if (schema && databaseUrl) await dropSchema(databaseUrl, schema);
      }
    },
  };
}
