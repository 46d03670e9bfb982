import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { Db } from "./db.js";

const SEED_FILE = fileURLToPath(new URL("../../seeds/seed.json", import.meta.url));

const SeedSchema = z.object({
  tenants: z.array(z.object({ tenant_id: z.string().min(1), name: z.string().min(1) })),
  orders: z.array(
    z.object({
      tenant_id: z.string().min(1),
      order_id: z.string().min(1),
      customer_email: z.string(),
      total: z.number().nonnegative(),
      status: z.string(),
      /** Dates are relative to the moment of seeding, so "delivered 5 days ago" stays true. */
      delivered_days_ago: z.number().int().nonnegative().nullable(),
      note: z.string().nullable(),
    }),
  ),
});

export type Seed = z.infer<typeof SeedSchema>;

export function loadSeed(path: string = SEED_FILE): Seed {
  return SeedSchema.parse(JSON.parse(readFileSync(path, "utf8")));
}

/** Loads the seed into an empty database (no tenants yet). Returns whether anything was inserted. */
export async function seedIfEmpty(db: Db, seed: Seed = loadSeed()): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':warden:seed'))");
    const { rows } = await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM tenants");
    if ((rows[0]?.n ?? 0) > 0) return false;
    for (const tenant of seed.tenants) {
      await tx.query("INSERT INTO tenants (tenant_id, name) VALUES ($1, $2)", [tenant.tenant_id, tenant.name]);
    }
    for (const order of seed.orders) {
      await tx.query(
        `INSERT INTO orders (tenant_id, order_id, customer_email, total_cents, status, delivered_at, note)
         VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::int IS NULL THEN NULL ELSE now() - make_interval(days => $6::int) END, $7)`,
        [order.tenant_id, order.order_id, order.customer_email, Math.round(order.total * 100), order.status, order.delivered_days_ago, order.note],
      );
    }
    return true;
  });
}
