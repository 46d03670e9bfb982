import type { Queryable } from "../../../store/db.js";
import { fromCents } from "./money.js";

/** An order as tools read it (amounts in decimal units). */
export interface OrderRecord {
  order_id: string;
  total: number;
  currency: string;
  status: string;
  delivered_at: string | null;
  /** Whole days since delivery, by the database clock; null when not delivered. */
  age_days: number | null;
  customer_email: string;
  note: string | null;
  refunded_total: number;
}

interface OrderRow {
  order_id: string;
  total_cents: number;
  currency: string;
  status: string;
  delivered_at: Date | string | null;
  age_days: number | null;
  customer_email: string;
  note: string | null;
  refunded_cents: string | number;
}

/**
 * One tenant-scoped round trip for the order and what was already refunded on it. Another tenant's order is
 * simply absent (undefined), never "forbidden" (invariant 4).
 */
export async function findOrder(db: Queryable, tenant: string, orderId: string): Promise<OrderRecord | undefined> {
  const { rows } = await db.query<OrderRow>(
    `SELECT o.order_id, o.total_cents, o.currency, o.status, o.delivered_at, o.customer_email, o.note,
            CASE WHEN o.delivered_at IS NULL THEN NULL
                 ELSE floor(extract(epoch FROM now() - o.delivered_at) / 86400)::int END AS age_days,
            COALESCE((SELECT sum(r.amount_cents) FROM refunds r
                      WHERE r.tenant_id = o.tenant_id AND r.order_id = o.order_id), 0)::bigint AS refunded_cents
     FROM orders o
     WHERE o.tenant_id = $1 AND o.order_id = $2`,
    [tenant, orderId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    order_id: row.order_id,
    total: fromCents(row.total_cents),
    currency: row.currency,
    status: row.status,
    delivered_at: row.delivered_at === null ? null : new Date(row.delivered_at).toISOString(),
    age_days: row.age_days,
    customer_email: row.customer_email,
    note: row.note,
    refunded_total: fromCents(row.refunded_cents),
  };
}
