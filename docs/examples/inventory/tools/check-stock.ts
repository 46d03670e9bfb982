import { z } from "zod";
import { defineTool, ToolError } from "warden";
import { warehouse } from "../warehouse.js";

/** A read tool: no approval, retried on a transient failure, its result is evidence the answer may rest on. */
export const checkStock = defineTool({
  name: "check_stock",
  description: "How many units of a product (by SKU, e.g. mug-blue) are in stock.",
  sideEffect: "read",
  permissions: ["stock:read"],
  input: z.object({ sku: z.string().regex(/^[a-z]+-[a-z]+$/).describe("The product's SKU, e.g. mug-blue") }),
  output: z.object({ sku: z.string(), units: z.number().int() }),
  async execute(input, ctx) {
    const units = warehouse.unitsOf(ctx.tenant, input.sku);
    // Recoverable: the model may ask the customer for the right SKU.
    if (units === undefined) throw new ToolError("SKU_NOT_FOUND", `No product ${input.sku}.`, { recoverable: true });
    return { sku: input.sku, units };
  },
});
