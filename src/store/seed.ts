import type { Db } from "./db.js";
import type { PackSchema } from "./pack-schema.js";

/**
 * Runs the packs' seeds on an empty database (no tenants yet), all in one transaction under an advisory lock, so
 * processes starting together seed once. The tenants table is the core's; which tenants exist is demo data, so
 * the packs' seeds insert them. Returns whether the seeds ran.
 */
export async function seedIfEmpty(db: Db, packs: readonly PackSchema[]): Promise<boolean> {
  const seeds = packs.flatMap((pack) => (pack.seed ? [pack.seed] : []));
  if (seeds.length === 0) return false;
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':warden:seed'))");
    const { rows } = await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM tenants");
    if ((rows[0]?.n ?? 0) > 0) return false;
    for (const seed of seeds) await seed(tx);
    return true;
  });
}
