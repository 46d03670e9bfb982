import type { Db } from "./db.js";
import { migrate, migrationsOf } from "./migrate.js";
import type { PackSchema } from "./pack-schema.js";
import { seedIfEmpty } from "./seed.js";

/**
 * Brings a database to the core's and the packs' schema, then seeds it when it is empty (unless `seed` is false).
 * Idempotent and safe to race: both steps run under advisory locks, and a migration already recorded is skipped.
 */
export async function prepareSchema(db: Db, packs: readonly PackSchema[], options: { seed?: boolean | undefined } = {}): Promise<void> {
  await migrate(db, migrationsOf(packs));
  if (options.seed ?? true) await seedIfEmpty(db, packs);
}
