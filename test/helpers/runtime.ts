import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../src/runtime/create-runtime.js";
import type { Queryable } from "../../src/store/db.js";
import type { Store } from "../../src/store/open-store.js";
import { isWardenError } from "../../src/errors.js";
import { addOrder as addOrderFixture } from "../../src/packs/support/fixtures.js";

/** A runtime over an already-open store, with no env (offline model, no OpenAI key even if the shell has one). */
export function runtimeOn(store: Store, options: Omit<RuntimeOptions, "store" | "env"> & { model?: BaseChatModel } = {}): Promise<Runtime> {
  return createRuntime({ ...options, store, env: {} });
}

let nextOrder = 0;

/**
 * Inserts a fresh order so each test refunds its own (the policy denies a second refund of one order).
 * Ids are `T-0001`, `T-0002`... unique per test file; `pid` keeps parallel files apart on one Postgres schema.
 */
export async function addOrder(
  db: Queryable,
  options: { tenant?: string; total?: number; daysAgo?: number; note?: string | null; email?: string } = {},
): Promise<string> {
  nextOrder += 1;
  const orderId = `T-${String(nextOrder).padStart(4, "0")}`;
  // The pack's own eval fixture writes the row, so tests and datasets insert orders the same way.
  await addOrderFixture.insert(db, options.tenant ?? "acme", {
    order_id: orderId,
    total: options.total ?? 42,
    delivered_days_ago: options.daysAgo ?? 5,
    note: options.note ?? null,
    email: options.email ?? "casey@example.com",
  });
  return orderId;
}

export async function refundsFor(db: Queryable, tenant: string, orderId: string): Promise<Array<{ refund_id: string; amount_cents: number; idempotency_key: string }>> {
  const { rows } = await db.query<{ refund_id: string; amount_cents: number; idempotency_key: string }>(
    "SELECT refund_id, amount_cents, idempotency_key FROM refunds WHERE tenant_id = $1 AND order_id = $2",
    [tenant, orderId],
  );
  return rows;
}

export const requester = { tenant: "acme", actor: "alice", roles: ["requester"] };
export const approver = { tenant: "acme", approver: "bob", roles: ["approver"] };

export function refundGoal(orderId: string, extra = "it arrived broken"): string {
  return `Refund order ${orderId}, ${extra}.`;
}

/** The WardenError code a promise rejects with ("resolved" when it does not reject). */
export function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "resolved",
    (error: unknown) => (isWardenError(error) ? error.code : String(error)),
  );
}
