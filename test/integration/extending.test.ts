import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiText, aiToolCall, aiToolCalls, createChatModel, createRuntime, defineConfig, definePack, ScriptedChatModel, type RunRecord, type Runtime, type RuntimeOptions, type TraceEvent } from "warden";
import { inventoryPack } from "../../docs/examples/inventory/index.js";
import { checkStock } from "../../docs/examples/inventory/tools/check-stock.js";
import { warehouse } from "../../docs/examples/inventory/warehouse.js";
import { openStore, type Store } from "../../src/store/open-store.js";
import { startOpenAiStub, type OpenAiStub } from "../helpers/openai-stub-server.js";

/**
 * docs/extending.md, performed: every how-to there is a test here, on the example pack the page quotes
 * (docs/examples/inventory; test/unit/docs.test.ts checks the quotes are verbatim), through the public API only.
 * The README's example and docs/api.md's from-code example run as processes: test/process/examples.test.ts.
 */
const requester = { tenant: "acme", actor: "alice", roles: ["requester"] };

let store: Store;
const runtimes: Runtime[] = [];

beforeAll(async () => {
  store = await openStore({ dataDir: "memory://", packs: [inventoryPack] });
});

afterAll(async () => {
  for (const runtime of runtimes) await runtime.close();
  await store?.close();
});

/** The inventory pack on the shared store; no env, so no key of the shell reaches it. */
async function inventoryRuntime(options: Omit<RuntimeOptions, "store" | "packs"> = {}): Promise<Runtime> {
  const runtime = await createRuntime({ store, packs: [inventoryPack], env: {}, ...options });
  runtimes.push(runtime);
  return runtime;
}

const kinds = (events: TraceEvent[]) => events.map((event) => event.kind);
const attributesOf = (events: TraceEvent[], kind: TraceEvent["kind"]) => events.filter((event) => event.kind === kind).map((event) => event.attributes);
/** `<rule> <effect>` of each policy decision, in order. */
const decisions = (events: TraceEvent[]) => attributesOf(events, "policy.decision").map((attributes) => `${attributes.rule} ${attributes.effect}`);
/** `<tool> <status>` of each tool call, in order. */
const toolCalls = (events: TraceEvent[]) => attributesOf(events, "tool.call").map((attributes) => `${attributes["gen_ai.tool.name"]} ${attributes.status}`);

describe("docs/extending.md, step by step", () => {
  it("add a tool: the agent calls check_stock under policy and its answer rests on the result", async () => {
    const model = new ScriptedChatModel([aiToolCall("check_stock", { sku: "mug-blue" }), aiText("We have 3 blue mugs.")]);
    const runtime = await inventoryRuntime({ model });
    const done = await runtime.start({ ...requester, goal: "How many blue mugs do you have?" });
    expect(done).toMatchObject({ status: "completed", route: "inventory_agent", answer: "We have 3 blue mugs." });
    const events = await runtime.getTrace("acme", done.run_id);
    expect(toolCalls(events)).toEqual(["check_stock ok"]);
    expect(decisions(events)).toContain("default:final_answer allow"); // final-answer-needs-evidence did not match
    // The model saw the tool as JSON Schema built from its zod input.
    expect(model.calls[0]!.tools.map((tool) => tool.name)).toEqual(["check_stock", "reserve_stock", "remember_store"]);
    model.assertComplete();
  });

  it("add a tool: a malformed definition is refused when the module loads", () => {
    expect(() => definePack({ ...inventoryPack, name: "copy", tools: [checkStock, checkStock] })).toThrow(/tool check_stock is declared twice/);
  });

  it("add a policy rule: a reservation over the tenant's limit is denied by reserve-over-limit, and nothing is reserved", async () => {
    const before = warehouse.reservations().length;
    const model = new ScriptedChatModel([
      aiToolCall("check_stock", { sku: "mug-blue" }),
      aiToolCall("reserve_stock", { sku: "mug-blue", quantity: 3 }),
      aiText("We can reserve at most 2 units at a time."),
    ]);
    const runtime = await inventoryRuntime({ model });
    const done = await runtime.start({ ...requester, goal: "Reserve 3 blue mugs for me." });
    expect(done.status).toBe("completed");
    const events = await runtime.getTrace("acme", done.run_id);
    expect(decisions(events)).toContain("reserve-over-limit deny");
    expect(warehouse.reservations()).toHaveLength(before);
    // The model was told the rule's customer_reason, never its operator reason.
    expect(JSON.stringify(model.calls[2]!.messages.at(-1)!.content)).toContain("We can reserve at most 2 units at a time.");
  });

  it("a write tool: the reservation waits for an approver, then runs exactly once", async () => {
    const before = warehouse.reservations().length;
    const model = new ScriptedChatModel([aiToolCall("reserve_stock", { sku: "mug-blue", quantity: 1 }), aiText("Reserved one blue mug for you.")]);
    const runtime = await inventoryRuntime({ model });
    const waiting = await runtime.start({ ...requester, goal: "Please reserve one blue mug." });
    expect(waiting.status).toBe("waiting_approval");
    const approval = waiting.pending_approvals[0]!;
    expect(approval).toMatchObject({ tool: "reserve_stock", rule: "reserve-requires-approval" });
    const done: RunRecord = await runtime.decide({ tenant: "acme", approvalId: approval.approval_id, decision: "approve", approver: "bob", roles: ["approver"] });
    expect(done).toMatchObject({ status: "completed", answer: "Reserved one blue mug for you." });
    expect(done.effects.map((effect) => `${effect.tool} ${effect.status}`)).toEqual(["reserve_stock completed"]);
    expect(warehouse.reservations()).toHaveLength(before + 1);
    expect(warehouse.unitsOf("acme", "mug-blue")).toBe(2);
  });

  it("a tool that proposes memory: with the subject's consent, the proposal is stored at the end of the run", async () => {
    const model = new ScriptedChatModel([
      aiToolCalls([{ name: "remember_store", args: { store: "Main Street" } }, { name: "check_stock", args: { sku: "mug-blue" } }]),
      aiText("Yes, and noted: Main Street."),
    ]);
    const runtime = await inventoryRuntime({ model });
    await runtime.memory.setConsent("acme", "cust-7", true, requester);
    const done = await runtime.start({ ...requester, goal: "I always pick up at Main Street. Is the blue mug in stock?", subject: "cust-7" });
    expect(done.status).toBe("completed");
    const { memories } = await runtime.memory.list("acme", "cust-7", requester);
    expect(memories.map((memory) => `${memory.kind}: ${memory.content}`)).toEqual(["preference: Picks up at the Main Street store."]);
  });

  it("add a workflow: the router sends a stock report to stock_report, whose two steps hand over through its own state", async () => {
    const runtime = await inventoryRuntime({ model: new ScriptedChatModel([]) });
    const done = await runtime.start({ ...requester, goal: "Stock report for mug-red, please." });
    expect(done).toMatchObject({ status: "completed", route: "stock_report", answer: "mug-red: 0 in stock." });
    const events = await runtime.getTrace("acme", done.run_id);
    const steps = attributesOf(events, "workflow.step").map((attributes) => attributes.step);
    expect(steps).toEqual(["look_up", "compose_report"]);
    expect(kinds(events)).toContain("route.decided");
    // The workflow's own channels (sku, units) stay in its subgraph: the runtime graph's state has none of them.
    const thread = await runtime.threadState("acme", done.thread_id);
    expect(Object.keys(thread.values as object)).not.toContain("units");
  });

  it("add an agent: the release's max_steps bounds its turns, then the run escalates", async () => {
    const model = new ScriptedChatModel(Array.from({ length: 5 }, () => () => aiToolCall("check_stock", { sku: "mug-blue" })));
    const runtime = await inventoryRuntime({ model });
    const done = await runtime.start({ ...requester, goal: "Keep checking the blue mug." });
    expect(done.status).toBe("escalated");
    expect(model.calls).toHaveLength(4); // releases/inventory@1.json: agents: [{ node: "inventory_agent", max_steps: 4 }]
  });

  it("add a pack: defineConfig composes it, and its router claims its own requests", () => {
    const config = defineConfig({ packs: [inventoryPack] });
    expect(config.composition.route("stock report for mug-blue", undefined)).toEqual({ route: "stock_report", reason: "asks for a stock report" });
    expect(config.composition.route("Do you sell teapots?", undefined)).toEqual({ route: "inventory_agent", reason: "open-ended request" });
    expect(() => definePack({ ...inventoryPack, agents: [] })).toThrow(/at least one agent/);
  });

  describe("swap the model", () => {
    let stub: OpenAiStub;
    beforeAll(async () => {
      let turn = 0;
      stub = await startOpenAiStub(() => (turn++ === 0 ? { toolCalls: [{ name: "check_stock", args: { sku: "mug-blue" } }] } : { text: "Two blue mugs left." }));
    });
    afterAll(async () => stub?.close());

    it("OPENAI_API_KEY and OPENAI_BASE_URL make the release's model a ChatOpenAI at that server; without a key it is the offline model", async () => {
      expect(createChatModel({ provider: "openai", name: "gpt-4.1-mini" }, {})._llmType()).toBe("warden-offline");
      const runtime = await inventoryRuntime({ env: { OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: `${stub.url}/v1` } });
      const done = await runtime.start({ ...requester, goal: "How many blue mugs are left?" });
      expect(done).toMatchObject({ status: "completed", answer: "Two blue mugs left." });
      expect(stub.requests[0]!.body.model).toBe("gpt-4.1-mini"); // the release's model name
      expect(stub.requests[0]!.body.tools?.map((tool) => tool.function.name)).toContain("check_stock");
    });

    it("with no model and no key, the offline model calls a new read tool it can fill from the goal", async () => {
      const runtime = await inventoryRuntime();
      const done = await runtime.start({ ...requester, goal: "How many of mug-blue are in stock?" });
      expect(done.status).toBe("completed");
      expect(toolCalls(await runtime.getTrace("acme", done.run_id))).toEqual(["check_stock ok"]);
    });
  });
});
