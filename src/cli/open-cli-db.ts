import { existsSync } from "node:fs";
import { join } from "node:path";
import { isWardenError, WardenError } from "../errors.js";
import type { Db } from "../store/db.js";
import type { PackSchema } from "../store/pack-schema.js";
import { progress } from "./step-progress.js";

export interface CliDbOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  /**
   * The packs whose migrations and seeds to apply, as `openStore` does. Default none: the core's tables only (a
   * command that touches only those need not load the packs; a runtime adds theirs when it opens the database).
   */
  packs?: readonly PackSchema[];
  /** Run the packs' seeds on an empty database. Default true. */
  seed?: boolean;
  /** Appended to a STORE_LOCKED message: what to use while the server holds the PGlite data directory. */
  lockedHint?: string;
}

/**
 * The database alone for a CLI command that only reads and writes its own tables (`keys create`): the same
 * migrations and seeds as `openStore`, without the LangGraph checkpointer. Loading and setting up the saver is
 * most of a command's start-up (its module graph, then its tables), and `serve`, `migrate` or any runtime set its
 * tables up when they open the store. Only the backend in use is loaded (PGlite's WASM or `pg`).
 */
export async function openCliDb(options: CliDbOptions): Promise<Db> {
  const db = await connect(options).catch((error: unknown) => {
    progress.done();
    if (options.lockedHint && isWardenError(error, "STORE_LOCKED")) {
      throw new WardenError("STORE_LOCKED", `${error.message} ${options.lockedHint}`, { details: error.details });
    }
    throw error;
  });
  try {
    progress.step("applying migrations");
    const { prepareSchema } = await import("../store/prepare-schema.js");
    await prepareSchema(db, options.packs ?? [], { seed: options.seed });
    return db;
  } catch (error) {
    progress.done();
    await db.close();
    throw error;
  }
}

async function connect(options: CliDbOptions): Promise<Db> {
  if (options.databaseUrl) {
    progress.step("connecting to Postgres");
    const { createPgDb } = await import("../store/pg-db.js");
    return createPgDb({ connectionString: options.databaseUrl });
  }
  const inMemory = options.dataDir === "memory://" || options.dataDir === "";
  // PGlite runs initdb in WASM for a new directory: several seconds, once. Say so rather than look stuck.
  const fresh = !inMemory && !existsSync(join(options.dataDir, "PG_VERSION"));
  progress.step(fresh ? `creating the embedded database in ${options.dataDir} (first use, a few seconds)` : `opening the embedded database in ${options.dataDir}`);
  const { createPgliteDb } = await import("../store/pglite-db.js");
  return createPgliteDb({ dataDir: options.dataDir });
}
