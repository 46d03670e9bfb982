import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildAgentGraph, composePacks, createRuntime, defineAgent, definePack, defineTool, WardenError } from "warden";
import { supportPack } from "../../src/packs/support/index.js";
import config from "../../warden.config.js";

/** What a team adding its own domain touches: the package's one entry, packs and their composition. */
const checkStock = defineTool({
  name: "check_stock",
  description: "How many units of a product are in stock.",
  sideEffect: "read",
  permissions: [],
  input: z.object({ sku: z.string() }),
  output: z.object({ sku: z.string(), units: z.number() }),
  async execute(input) {
    return { sku: input.sku, units: 3 };
  },
});

const inventoryPack = definePack({
  name: "inventory",
  root: supportPack.root,
  tools: [checkStock],
  agents: [defineAgent({ node: "inventory_agent", description: "Stock questions.", build: buildAgentGraph })],
  router: (goal) => (/\bin stock\b/i.test(goal) ? { route: "inventory_agent", reason: "asks about stock" } : undefined),
});

describe("the public API", () => {
  it("is one entry, resolved by the package name", () => {
    expect(typeof createRuntime).toBe("function");
    expect(new WardenError("CONFIG_INVALID", "x").code).toBe("CONFIG_INVALID");
  });

  it("warden.config.ts declares the support pack, and its composition routes as the support router does", () => {
    // First, so its agent takes what no rule claims; `warden new pack` appends the packs it scaffolds after it.
    expect(config.packs[0]?.name).toBe("support");
    expect(config.composition.route("Could you refund order A-1001? It arrived chipped.", undefined).route).toBe("refund_workflow");
    expect(config.composition.route("Where is my order?", undefined)).toEqual({ route: "support_agent", reason: "open-ended request" });
    expect(config.composition.workflowOf("refund_workflow")?.id).toBe("refund_workflow@1");
  });

  it("a second pack adds its tool and route next to support; each router claims its own requests", () => {
    const composition = composePacks([supportPack, inventoryPack]);
    expect(composition.tools.map((tool) => tool.name)).toContain("check_stock");
    expect(composition.route("Is the blue mug in stock?", undefined)).toEqual({ route: "inventory_agent", reason: "asks about stock" });
    expect(composition.route("refund a-1001", undefined).route).toBe("refund_workflow");
    expect(composition.defaultAgent).toBe("support_agent");
  });

  it("refuses packs that clash or are malformed, naming the problem", () => {
    expect(() => composePacks([supportPack, definePack({ ...inventoryPack, name: "copy", tools: [supportPack.tools[0]!] })])).toThrow(/tool read_policy is declared by both support and copy/);
    expect(() => definePack({ ...inventoryPack, agents: [] })).toThrow(/at least one agent/);
    expect(() => definePack({ ...inventoryPack, agents: [defineAgent({ node: "route", description: "", build: buildAgentGraph })] })).toThrow(/node of the runtime graph/);
    expect(() => composePacks([])).toThrow(/at least one pack/);
  });

  it("a tool proposes memory by its definition, not by its name", () => {
    const remember = supportPack.tools.find((tool) => tool.name === "remember")!;
    expect(remember.proposesMemory?.({ kind: "preference", content: "Prefers email" })).toEqual({ kind: "preference", content: "Prefers email" });
    expect(checkStock.proposesMemory).toBeUndefined();
  });
});
