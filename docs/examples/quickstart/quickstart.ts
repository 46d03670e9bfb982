import { fileURLToPath } from "node:url";
import { z } from "zod";
import { aiText, aiToolCall, buildAgentGraph, createRuntime, defineAgent, definePack, defineTool, ScriptedChatModel } from "warden";

// A tool: typed input and output, its side effect, the permissions it needs (the policy grants them to roles).
const checkStock = defineTool({
  name: "check_stock",
  description: "How many units of a product are in stock.",
  sideEffect: "read",
  permissions: ["stock:read"],
  input: z.object({ sku: z.string() }),
  output: z.object({ sku: z.string(), units: z.number() }),
  async execute({ sku }) {
    return { sku, units: sku === "mug-blue" ? 3 : 0 };
  },
});

// A pack: a domain's tools and routes, its releases, and the folder of its data (releases/, prompts/, policies/ here).
const shop = definePack({
  name: "shop",
  root: fileURLToPath(new URL("./", import.meta.url)),
  releases: ["shop@1"],
  tools: [checkStock],
  agents: [defineAgent({ node: "shop_agent", description: "Questions about the shop's stock.", build: buildAgentGraph })],
});

// The release names a real model; a scripted one stands in here, so this runs with no key and no network.
const model = new ScriptedChatModel([aiToolCall("check_stock", { sku: "mug-blue" }), aiText("We have 3 blue mugs in stock.")]);

const runtime = await createRuntime({ packs: [shop], model, env: { WARDEN_DATA_DIR: "memory://" } });
const run = await runtime.start({ tenant: "acme", actor: "alice", roles: ["requester"], goal: "Is the blue mug in stock?" });
console.log(run.status, "|", run.answer); // completed | We have 3 blue mugs in stock.
const trace = await runtime.getTrace("acme", run.run_id);
console.log(trace.map((event) => event.kind).join(" ")); // run.started route.decided model.call policy.decision tool.call … run.finished eval.result …
await runtime.close();
