import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime, type TraceEvent } from "warden";
import { inventoryPack } from "../../docs/examples/inventory/index.js";
import { openStore, type Store } from "../../src/store/open-store.js";

/**
 * A pack that declares no offline heuristics still runs offline: the release's model (no key, so the offline
 * model) plans `check_stock` from its declaration (a read tool; its schema's pattern finds the SKU in the goal)
 * and never the write tool `reserve_stock`.
 */
let store: Store;
let runtime: Runtime;
const requester = { tenant: "acme", actor: "alice", roles: ["requester"] };
const tools = (events: TraceEvent[]) =>
  events.filter((event) => event.kind === "tool.call").map((event) => `${(event.attributes as Record<string, unknown>)["gen_ai.tool.name"]} ${(event.attributes as { status: string }).status}`);

beforeAll(async () => {
  store = await openStore({ dataDir: "memory://", packs: [inventoryPack] });
  // No env: no OPENAI_API_KEY of the shell reaches it, so the release's model is the offline one.
  runtime = await createRuntime({ store, packs: [inventoryPack], env: { WARDEN_RELEASE: "inventory@1" } });
});

afterAll(async () => {
  await runtime?.close();
  await store?.close();
});

describe("the offline model on a pack without heuristics", () => {
  it("answers a stock question from check_stock, planned from the tool's declaration", async () => {
    const done = await runtime.start({ ...requester, goal: "Is mug-blue in stock?" });
    expect(done).toMatchObject({ status: "completed", route: "inventory_agent" });
    expect(tools(await runtime.getTrace("acme", done.run_id))).toEqual(["check_stock ok"]);
    expect(done.answer).toMatch(/^The check_stock result for mug-blue: units: \d+\.$/);
  });

  it("does not reserve: a tool with side effects is never planned generically", async () => {
    const done = await runtime.start({ ...requester, goal: "Reserve stock of mug-blue for me." });
    expect(tools(await runtime.getTrace("acme", done.run_id))).not.toContain("reserve_stock ok");
    expect(tools(await runtime.getTrace("acme", done.run_id))).toEqual(["check_stock ok"]);
  });
});
