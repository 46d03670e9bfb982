import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { BatchedPostgresSaver } from "./batched-postgres-saver.js";
import type pg from "pg";
import type { Db } from "./db.js";
import type { PackSchema } from "./pack-schema.js";
import { createPgDb } from "./pg-db.js";
import { createPgliteDb } from "./pglite-db.js";
import { prepareSchema } from "./prepare-schema.js";

export interface StoreOptions {
  /** Set → `pg.Pool` on that server; unset → embedded PGlite at `dataDir`. */
  databaseUrl?: string | undefined;
  /** PGlite data directory, or `memory://`. Default `.warden/pgdata`. */
  dataDir?: string | undefined;
  /** Postgres schema (server only): lets test files share one database without sharing rows. */
  schema?: string | undefined;
  /**
   * The packs whose tables this store holds: their migrations run after the core's, their seeds on an empty
   * database. Default none (the core's tables only); a runtime adds its packs' to a store it is handed.
   */
  packs?: readonly PackSchema[];
  /** Run the packs' seeds when the database has no tenants. Default true. */
  seed?: boolean;
  /** Checkpoint writes: one statement each (`batched`, default) or the stock saver's transactions (`stock`). */
  checkpointer?: CheckpointerKind;
}

export type CheckpointerKind = "batched" | "stock";

export interface Store {
  db: Db;
  /** `PostgresSaver` on both backends; any saver works (the benchmark swaps in `MemorySaver`). */
  checkpointer: BaseCheckpointSaver;
  close(): Promise<void>;
}

export async function openDb(options: StoreOptions): Promise<Db> {
  if (options.databaseUrl) return createPgDb({ connectionString: options.databaseUrl, schema: options.schema });
  return createPgliteDb({ dataDir: options.dataDir ?? ".warden/pgdata" });
}

/**
 * LangGraph's Postgres saver on both backends (PGlite reaches it through the pool adapter): by default its
 * batched subclass, which writes the same rows in one statement per put instead of a transaction of many.
 */
export async function createCheckpointer(db: Db, kind: CheckpointerKind = "batched"): Promise<PostgresSaver> {
  const Saver = kind === "stock" ? PostgresSaver : BatchedPostgresSaver;
  const saver = new Saver(db.pool as unknown as pg.Pool, undefined, { schema: db.schema });
  await saver.setup();
  return saver;
}

/**
 * Opens the database, applies the core's and the packs' migrations, seeds an empty database with the packs' seeds
 * and sets up the checkpointer's tables.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const db = await openDb(options);
  try {
    await prepareSchema(db, options.packs ?? [], { seed: options.seed });
    const checkpointer = await createCheckpointer(db, options.checkpointer);
    return { db, checkpointer, close: () => db.close() };
  } catch (error) {
    await db.close();
    throw error;
  }
}
