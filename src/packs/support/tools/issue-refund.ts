import { randomUUID } from "node:crypto";
import { z } from "zod";
import { defineTool } from "../../../tools/define-tool.js";
import { ToolError } from "../../../tools/tool-error.js";
import { ORDER_ID } from "./lookup-order.js";
import { fromCents, positiveAmount, toCents } from "./money.js";
import { findOrder } from "./order-record.js";

interface RefundRow {
  refund_id: string;
  order_id: string;
  amount_cents: number;
  idempotency_key: string;
  currency: string;
}

// The simulated payment provider, in one round trip: insert the refund unless this idempotency key already has
// one, and return the refund stored for the key either way (DO UPDATE, not DO NOTHING, so RETURNING yields the
// existing row too, also when a concurrent call inserted it first). No row: the order is not this tenant's.
const REFUND_SQL = `
WITH o AS (SELECT order_id, currency FROM orders WHERE tenant_id = $1 AND order_id = $2),
ins AS (
  INSERT INTO refunds (tenant_id, refund_id, order_id, amount_cents, idempotency_key, reason)
  SELECT $1, $3, o.order_id, $4, $5, $6 FROM o
  ON CONFLICT (tenant_id, idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
  RETURNING refund_id, order_id, amount_cents, idempotency_key
)
SELECT ins.refund_id, ins.order_id, ins.amount_cents, ins.idempotency_key, o.currency FROM ins CROSS JOIN o`;

/** SQLSTATE of the `refunds` trigger's refusal (migration 007): the order's refunds would exceed its total. */
export const REFUND_LIMIT_SQLSTATE = "WR001";

const sqlState = (error: unknown): unknown => (typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined);

/**
 * Issues a refund through the (simulated) payment provider. Irreversible: the executor runs it only with an
 * authorization bound to these exact arguments, and passes the effect ledger id as the provider's idempotency
 * key, so executing the same tool call again returns the same refund instead of paying twice.
 */
export const issueRefund = defineTool({
  name: "issue_refund",
  description: "Refund part or all of an order to the customer's original payment method. Requires a policy allow or an approval.",
  sideEffect: "irreversible",
  permissions: ["refunds:issue"],
  // Safe to retry: every attempt carries the same idempotency key and the provider dedupes on it.
  retry: { retries: 2 },
  input: z.object({
    order_id: z.string().regex(ORDER_ID).describe("Order id, e.g. A-1001"),
    amount: positiveAmount.describe("Amount to refund, in the order's currency, at most 2 decimals"),
    reason: z.string().min(1).max(500).describe("Why the refund is issued"),
  }),
  output: z.object({
    refund_id: z.string(),
    order_id: z.string(),
    amount: z.number(),
    currency: z.string(),
    status: z.literal("issued"),
    idempotency_key: z.string(),
  }),
  // One effect per order at a time: policy's "one refund per order" and "not above the total" are decided and
  // the refund inserted under this lock, so two approved refunds of one order cannot both pass the check.
  serializeBy: (input) => `order:${input.order_id}`,
  async policyFacts(input, { tenant, db }) {
    const order = await findOrder(db, tenant, input.order_id);
    if (!order) return { order: { exists: false } };
    return { order: { exists: true, total: order.total, age_days: order.age_days, refunded_total: order.refunded_total } };
  },
  async execute(input, ctx) {
    // Without the ledger id there is no idempotency key, and a retry could pay twice: refuse.
    if (!ctx.effectId) throw new ToolError("IDEMPOTENCY_KEY_MISSING", "issue_refund needs ctx.effectId as its idempotency key.");
    let rows: RefundRow[];
    try {
      ({ rows } = await ctx.db.query<RefundRow>(REFUND_SQL, [
        ctx.tenant,
        input.order_id,
        `rf_${randomUUID().replaceAll("-", "")}`,
        toCents(input.amount),
        ctx.effectId,
        input.reason,
      ]));
    } catch (error) {
      // The second wall: the table refused what policy should have. Permanent: no retry or fix makes it fit.
      if (sqlState(error) === REFUND_LIMIT_SQLSTATE) {
        throw new ToolError("REFUND_EXCEEDS_ORDER_TOTAL", `A refund of ${input.amount.toFixed(2)} would take order ${input.order_id}'s refunds above its total.`, { cause: error });
      }
      throw error;
    }
    const refund = rows[0];
    if (!refund) throw new ToolError("ORDER_NOT_FOUND", `No order ${input.order_id} was found.`, { recoverable: true });
    // Like a real provider: one key, one request. The ledger already binds a key to one args hash; this guards
    // callers that reach the provider some other way.
    if (refund.order_id !== input.order_id || refund.amount_cents !== toCents(input.amount)) {
      throw new ToolError("IDEMPOTENCY_KEY_REUSED", `idempotency key ${ctx.effectId} was used for a different refund.`);
    }
    return {
      refund_id: refund.refund_id,
      order_id: refund.order_id,
      amount: fromCents(refund.amount_cents),
      currency: refund.currency,
      status: "issued" as const,
      idempotency_key: refund.idempotency_key,
    };
  },
});
