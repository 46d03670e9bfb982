import { z } from "zod";
import { defineTool, ToolError } from "warden";
import { warehouse } from "../warehouse.js";

/**
 * A write tool: it runs only after policy allowed it or a person approved these exact arguments, under the effect
 * ledger (a re-run replays the recorded result), and policy is asked again at the moment of the effect.
 */
export const reserveStock = defineTool({
  name: "reserve_stock",
  description: "Reserve units of a product for a customer. Needs an approval.",
  sideEffect: "write",
  permissions: ["stock:reserve"],
  input: z.object({ sku: z.string().regex(/^[a-z]+-[a-z]+$/), quantity: z.number().int().positive() }),
  output: z.object({ reservation_id: z.string(), sku: z.string(), quantity: z.number() }),
  // Reservations of one product never decide and execute at the same time.
  serializeBy: (input) => `sku:${input.sku}`,
  // What the policy's rules read as `facts.stock`.
  async policyFacts(input, { tenant }) {
    return { stock: { units: warehouse.unitsOf(tenant, input.sku) ?? 0 } };
  },
  async execute(input, ctx) {
    if (!ctx.effectId) throw new ToolError("IDEMPOTENCY_KEY_MISSING", "reserve_stock needs ctx.effectId.");
    const { reservation_id, sku, quantity } = warehouse.reserve(ctx.effectId, ctx.tenant, input.sku, input.quantity);
    return { reservation_id, sku, quantity };
  },
});
