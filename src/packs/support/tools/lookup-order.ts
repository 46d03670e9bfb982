import { z } from "zod";
import { defineTool } from "../../../tools/define-tool.js";
import { ToolError } from "../../../tools/tool-error.js";
import { findOrder } from "./order-record.js";

export const ORDER_ID = /^[A-Z]-\d{4}$/;

/** Reads one order of the caller's tenant, with what was already refunded on it. */
export const lookupOrder = defineTool({
  name: "lookup_order",
  description: "Look up a customer's order by its id (e.g. A-1001): total, status, delivery date, age in days and amount already refunded.",
  sideEffect: "read",
  permissions: ["orders:read"],
  input: z.object({ order_id: z.string().regex(ORDER_ID).describe("Order id, one capital letter, a dash and 4 digits, e.g. A-1001") }),
  output: z.object({
    order_id: z.string(),
    total: z.number(),
    currency: z.string(),
    status: z.string(),
    delivered_at: z.iso.datetime().nullable(),
    age_days: z.number().int().nullable(),
    customer_email: z.string(),
    note: z.string().nullable(),
    refunded_total: z.number(),
  }),
  async execute(input, ctx) {
    const order = await findOrder(ctx.db, ctx.tenant, input.order_id);
    // Recoverable: the agent can ask the customer for the right id.
    if (!order) throw new ToolError("ORDER_NOT_FOUND", `No order ${input.order_id} was found.`, { recoverable: true });
    return order;
  },
});
