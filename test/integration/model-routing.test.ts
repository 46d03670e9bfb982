import { END, START, StateGraph } from "@langchain/langgraph";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defineAgent, definePack, defineWorkflow, nodeKit, RuntimeState, WorkflowInput, WorkflowOutput, type DepsProvider, type State } from "../../src/index.js";
import { buildAgentGraph } from "../../src/graph/agent-graph.js";
import { supportPack } from "../../src/packs/support/index.js";
import { createRuntime, type Runtime } from "../../src/runtime/create-runtime.js";
import { openStore, type Store } from "../../src/store/open-store.js";
import type { TraceEvent } from "../../src/trace/types.js";
import { createEvalRoot } from "../helpers/eval-root.js";
import { startOpenAiStub, type ChatCompletionsBody, type OpenAiStub, type StubReply } from "../helpers/openai-stub-server.js";
import { requester } from "../helpers/runtime.js";

/** A second workflow no rule claims: only the model can send a request to it. */
function buildTriageWorkflow(getDeps: DepsProvider) {
  return new StateGraph(RuntimeState, { input: WorkflowInput, output: WorkflowOutput })
    .addNode("open_ticket", async (state: State) => {
      const kit = await nodeKit(getDeps, state, "open_ticket");
      kit.emit("workflow.step", { step: "open_ticket", status: "ok" });
      return { status: "escalated" as const, escalation: "triage ticket opened", answer: "A person will look at your delivery." };
    })
    .addEdge(START, "open_ticket")
    .addEdge("open_ticket", END);
}

const triagePack = definePack({
  name: "triage",
  root: supportPack.root,
  tools: [],
  workflows: [defineWorkflow({ node: "triage_workflow", id: "triage_workflow@1", description: "Damaged or lost deliveries: opens a ticket for a person.", build: buildTriageWorkflow })],
  agents: [defineAgent({ node: "triage_agent", description: "Delivery questions (not listed by the test release).", build: buildAgentGraph })],
});

const ROUTED = "The parcel came crushed and half the contents are missing.";
const CHOOSE = "choose_route";

/** What the stub's routing answer is, per test; agent turns always get a short text answer. */
let routeReply: () => StubReply = () => ({ toolCalls: [{ name: CHOOSE, args: { route: "triage_workflow", reason: "a damaged delivery" } }] });

const isRouting = (body: ChatCompletionsBody) => body.tools?.some((tool) => tool.function.name === CHOOSE) === true;

describe("model routing against a loopback OpenAI-compatible server", () => {
  const root = createEvalRoot();
  const base = root.json("releases/support@1.json");
  root.write(
    "releases/routed@1.json",
    JSON.stringify({ ...base, id: "routed@1", workflows: ["refund_workflow@1", "triage_workflow@1"], agents: [{ node: "support_agent", max_steps: 4 }], model_routing: true }),
  );
  root.write("releases/offline@1.json", JSON.stringify({ ...base, id: "offline@1", model: { provider: "offline", name: "offline" }, workflows: ["refund_workflow@1", "triage_workflow@1"], model_routing: true }));
  let stub: OpenAiStub;
  const stores: Store[] = [];
  let runtime: Runtime;
  let offline: Runtime;

  beforeAll(async () => {
    stub = await startOpenAiStub((body) => (isRouting(body) ? routeReply() : { text: "Thanks for asking; let me check that for you." }));
    const packs = [supportPack, triagePack];
    const open = async () => {
      const store = await openStore({ dataDir: "memory://" });
      stores.push(store);
      return store;
    };
    runtime = await createRuntime({ store: await open(), packs, root: root.root, env: { OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: `${stub.url}/v1` } });
    // Its own store: no run of the OpenAI runtime's database is ever executed here, nor the other way round.
    offline = await createRuntime({ store: await open(), packs, root: root.root, env: {} });
  }, 240_000);
  afterAll(async () => {
    await offline.close();
    await runtime.close();
    for (const store of stores) await store.close();
    await stub.close();
    root.remove();
  });
  beforeEach(() => {
    stub.requests.length = 0;
  });

  const decided = (events: TraceEvent[]) => events.find((event) => event.kind === "route.decided")!.attributes;

  it("routes a request no rule claims to the workflow the model names, offering only the release's routes", async () => {
    routeReply = () => ({ toolCalls: [{ name: CHOOSE, args: { route: "triage_workflow", reason: "a damaged delivery" } }], usage: { prompt_tokens: 90, completion_tokens: 9, total_tokens: 99 } });
    const record = await runtime.start({ ...requester, goal: ROUTED, release: "routed@1" });
    expect(record.route).toBe("triage_workflow");
    expect(record).toMatchObject({ status: "escalated", answer: "A person will look at your delivery." });

    const routing = stub.requests.filter((request) => isRouting(request.body));
    expect(routing).toHaveLength(1);
    const parameters = routing[0]!.body.tools![0]!.function.parameters as { properties: { route: { enum: string[] } } };
    // Listed routes only: the triage pack's agent exists but routed@1 does not list it.
    expect(parameters.properties.route.enum.sort()).toEqual(["refund_workflow", "support_agent", "triage_workflow"]);
    expect(JSON.stringify(routing[0]!.body.messages)).toContain(ROUTED);

    const events = await runtime.getTrace("acme", record.run_id);
    expect(decided(events)).toEqual({ route: "triage_workflow", reason: "a damaged delivery", by: "model" });
    const call = events.find((event) => event.kind === "model.call" && event.attributes.purpose === "route");
    expect(call?.attributes).toMatchObject({ "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4.1-mini", "gen_ai.usage.input_tokens": 90, "gen_ai.usage.output_tokens": 9 });
    expect(call!.seq).toBeLessThan(events.find((event) => event.kind === "route.decided")!.seq);
  });

  it("an answer naming a route the release does not list falls back to the default agent, saying so", async () => {
    routeReply = () => ({ toolCalls: [{ name: CHOOSE, args: { route: "triage_agent", reason: "delivery question" } }] });
    const record = await runtime.start({ ...requester, goal: ROUTED, release: "routed@1" });
    expect(record.route).toBe("support_agent");
    expect(record.status).not.toBe("failed");
    const attributes = decided(await runtime.getTrace("acme", record.run_id));
    expect(attributes).toMatchObject({ route: "support_agent", by: "default" });
    expect(attributes.reason).toMatch(/"triage_agent".*not one of the routes release routed@1 lists/);
  });

  it("a model failure falls back to the default agent and never fails the run", async () => {
    routeReply = () => ({ httpStatus: 500, message: "routing is down" });
    const record = await runtime.start({ ...requester, goal: ROUTED, release: "routed@1" });
    expect(record.route).toBe("support_agent");
    expect(record.status).not.toBe("failed");
    const attributes = decided(await runtime.getTrace("acme", record.run_id));
    expect(attributes).toMatchObject({ route: "support_agent", by: "default" });
    expect(attributes.reason).toMatch(/^open-ended request; the model could not route it/);
  });

  it("the pack's rules go first: a request a rule claims never asks the model", async () => {
    const record = await runtime.start({ ...requester, goal: "Refund order A-1001, it arrived broken.", release: "routed@1" });
    expect(record.route).toBe("refund_workflow");
    expect(stub.requests.filter((request) => isRouting(request.body))).toHaveLength(0);
    expect(decided(await runtime.getTrace("acme", record.run_id))).toMatchObject({ route: "refund_workflow", by: "rule" });
  });

  it("the offline model never routes: a request no rule claims goes to the default agent", async () => {
    for (const release of ["offline@1", "routed@1"]) {
      // routed@1 on a runtime without OPENAI_API_KEY gets the offline model too.
      const record = await offline.start({ ...requester, goal: ROUTED, release });
      expect(record.route).toBe("support_agent");
      expect(decided(await offline.getTrace("acme", record.run_id))).toEqual({ route: "support_agent", reason: "open-ended request", by: "default" });
    }
    expect(stub.requests).toHaveLength(0);
  });
});
