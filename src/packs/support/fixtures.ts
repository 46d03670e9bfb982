import { z } from "zod";
import { defineFixture } from "../../kernel/fixture.js";

/**
 * `{"do": "add_order", …}` in a dataset: an order the case needs beyond the seed (its own total, age or a planted
 * note), delivered `delivered_days_ago` days before the case runs.
 */
export const addOrder = defineFixture({
  description: "an order beyond the seed",
  schema: z.strictObject({
    order_id: z.string().regex(/^[A-Z]-\d{4}$/),
    total: z.number().positive(),
    delivered_days_ago: z.number().int().min(0).default(5),
    note: z.string().max(2000).nullable().default(null),
    email: z.email().default("casey@example.com"),
  }),
  async insert(db, tenant, row) {
    await db.query(
      `INSERT INTO orders (tenant_id, order_id, customer_email, total_cents, status, delivered_at, note)
       VALUES ($1, $2, $3, $4, 'delivered', now() - make_interval(days => $5::int), $6)`,
      [tenant, row.order_id, row.email, Math.round(row.total * 100), row.delivered_days_ago, row.note],
    );
  },
});
