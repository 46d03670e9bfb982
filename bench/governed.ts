import type { Runtime } from "../src/runtime/create-runtime.js";
import type { Queryable } from "../src/store/db.js";

/** Order ids must match /^[A-Z]-\d{4}$/, so the bench has B-0000 … B-9999 per database. */
const MAX_ORDERS = 10_000;

/**
 * Bench orders for tenant acme: each governed run refunds its own order, because policy denies a second refund
 * of the same order (`refund-already-issued`). All orders are inserted up front, outside any measurement.
 */
export interface OrderPool {
  /** The next unused order id. */
  next(): string;
  /** Ids handed out since the last `take()` (the runs of one measurement), and a fresh start. */
  take(): string[];
}

export async function createOrderPool(db: Queryable, count: number): Promise<OrderPool> {
  if (count > MAX_ORDERS) throw new Error(`the bench needs ${count} orders but ids only go up to B-9999; lower the BENCH_* counts`);
  // Total 42.00, delivered 5 days ago: inside the refund window and under the cap, so policy asks for approval.
  await db.query(
    `INSERT INTO orders (tenant_id, order_id, customer_email, total_cents, status, delivered_at, note)
     SELECT 'acme', 'B-' || lpad(i::text, 4, '0'), 'bench@example.com', 4200, 'delivered', now() - interval '5 days', 'bench order'
     FROM generate_series(0, $1::int - 1) AS i`,
    [count],
  );
  let used = 0;
  let handedOut: string[] = [];
  return {
    next() {
      if (used >= count) throw new Error(`out of bench orders (${count} inserted)`);
      const id = `B-${String(used++).padStart(4, "0")}`;
      handedOut.push(id);
      return id;
    },
    take() {
      const ids = handedOut;
      handedOut = [];
      return ids;
    },
  };
}

/**
 * One governed run: the requester asks for a refund, the run stops for approval, a second person approves, the
 * run completes. Throws on any other outcome, so a failing run cannot pass for a fast one. `afterStart` runs
 * between the two halves (the SQL profile splits its tally there).
 */
export async function runGovernedOnce(runtime: Runtime, orderId: string, afterStart?: () => void): Promise<void> {
  const waiting = await runtime.start({ tenant: "acme", actor: "alice", roles: ["requester"], goal: `Refund order ${orderId}, it arrived broken.` });
  const approval = waiting.pending_approvals[0];
  if (waiting.status !== "waiting_approval" || waiting.pending_approvals.length !== 1 || !approval) {
    throw new Error(`governed run for ${orderId} ended ${waiting.status} instead of waiting_approval (${JSON.stringify(waiting.error ?? waiting.answer)})`);
  }
  afterStart?.();
  const done = await runtime.decide({ tenant: "acme", approvalId: approval.approval_id, decision: "approve", approver: "bob", roles: ["approver"] });
  if (done.status !== "completed") {
    throw new Error(`governed run for ${orderId} ended ${done.status} instead of completed (${JSON.stringify(done.error ?? done.answer)})`);
  }
}

/**
 * Checks, after a measurement (outside its timing and statement count), that every run of it left exactly one
 * refund row for its order: the status checks alone would not notice a refund issued twice or not at all.
 */
export async function assertOneRefundEach(db: Queryable, orderIds: string[]): Promise<void> {
  if (orderIds.length === 0) return;
  const { rows } = await db.query<{ order_id: string; n: number }>(
    `SELECT o.order_id, count(r.refund_id)::int AS n
     FROM orders o LEFT JOIN refunds r ON r.tenant_id = o.tenant_id AND r.order_id = o.order_id
     WHERE o.tenant_id = 'acme' AND o.order_id = ANY($1::text[])
     GROUP BY o.order_id`,
    [orderIds],
  );
  const wrong = rows.filter((row) => row.n !== 1);
  if (rows.length !== orderIds.length || wrong.length > 0) {
    const sample = wrong.slice(0, 5).map((row) => `${row.order_id}: ${row.n}`).join(", ");
    throw new Error(`expected exactly one refund per run for ${orderIds.length} orders; found ${rows.length} orders, wrong: ${sample || "-"}`);
  }
}
