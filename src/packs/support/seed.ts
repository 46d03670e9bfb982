import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { PROJECT_ROOT } from "../../kernel/release.js";
import type { Queryable } from "../../store/db.js";

/** The pack's demo data: `seeds/seed.json` in its data folder (the repository root), readable without the code. */
const SEED_FILE = join(PROJECT_ROOT, "seeds", "seed.json");

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

export type SupportSeed = z.infer<typeof SeedSchema>;

export function loadSupportSeed(path: string = SEED_FILE): SupportSeed {
  return SeedSchema.parse(JSON.parse(readFileSync(path, "utf8")));
}

/**
 * Inserts the seed's tenants and orders. The store calls it once, on an empty database, inside its seeding
 * transaction; another pack's seed may name the same tenants, hence ON CONFLICT.
 */
export async function seedSupport(tx: Queryable, seed: SupportSeed = loadSupportSeed()): Promise<void> {
  for (const tenant of seed.tenants) {
    await tx.query("INSERT INTO tenants (tenant_id, name) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING", [tenant.tenant_id, tenant.name]);
  }
  for (const order of seed.orders) {
    await tx.query(
      `INSERT INTO orders (tenant_id, order_id, customer_email, total_cents, status, delivered_at, note)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::int IS NULL THEN NULL ELSE now() - make_interval(days => $6::int) END, $7)`,
      [order.tenant_id, order.order_id, order.customer_email, Math.round(order.total * 100), order.status, order.delivered_days_ago, order.note],
    );
  }
}
