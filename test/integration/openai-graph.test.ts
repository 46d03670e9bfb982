import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../src/runtime/create-runtime.js";
import { openStore, type Store } from "../../src/store/open-store.js";
import { startOpenAiStub, type OpenAiStub } from "../helpers/openai-stub-server.js";

/**
 * The production model path: ChatOpenAI (chosen because OPENAI_API_KEY is set) talking HTTP to a loopback
 * OpenAI-compatible server, whose tool call flows through policy, the executor and back to the model.
 */
describe("ChatOpenAI through the graph against a loopback OpenAI-compatible server", () => {
  let stub: OpenAiStub;
  let store: Store;
  let runtime: Runtime;

  beforeAll(async () => {
    stub = await startOpenAiStub((body) => {
      const answered = body.messages.some((message) => message.role === "tool");
      if (!answered) return { toolCalls: [{ name: "lookup_order", args: { order_id: "A-1001" }, id: "call_stub_1" }], usage: { prompt_tokens: 120, completion_tokens: 12, total_tokens: 132 } };
      const tool = body.messages.find((message) => message.role === "tool");
      const order = JSON.parse(String(tool?.content)) as { total: number; status: string };
      return { text: `Order A-1001 is ${order.status}; it cost $${order.total.toFixed(2)}.`, usage: { prompt_tokens: 200, completion_tokens: 15, total_tokens: 215 } };
    });
    store = await openStore({ dataDir: "memory://" });
    runtime = await createRuntime({ store, env: { OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: `${stub.url}/v1` } });
  });
  afterAll(async () => {
    await runtime.close();
    await store.close();
    await stub.close();
  });

  it("runs the model's tool call and answers from its result", async () => {
    const record = await runtime.start({ tenant: "acme", actor: "alice", roles: ["requester"], goal: "What happened to order A-1001?" });
    expect(record.status).toBe("completed");
    expect(record.answer).toBe("Order A-1001 is delivered; it cost $42.00.");

    expect(stub.requests).toHaveLength(2);
    expect(stub.requests[0]!.authorization).toBe("Bearer test-key");
    expect(stub.requests[0]!.body.model).toBe("gpt-4.1-mini");
    const offered = stub.requests[0]!.body.tools?.map((tool) => tool.function.name).sort();
    expect(offered).toEqual(["draft_response", "issue_refund", "lookup_order", "read_policy", "remember", "send_message"]);
    const toolMessage = stub.requests[1]!.body.messages.find((message) => message.role === "tool");
    expect(toolMessage?.tool_call_id).toBe("call_stub_1");

    const events = await runtime.getTrace("acme", record.run_id);
    const modelCalls = events.filter((event) => event.kind === "model.call");
    expect(modelCalls[0]!.attributes).toMatchObject({
      "gen_ai.system": "openai",
      "gen_ai.request.model": "gpt-4.1-mini",
      "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 12,
    });
    expect(events.find((event) => event.kind === "tool.call")?.attributes).toMatchObject({
      "gen_ai.tool.name": "lookup_order",
      "gen_ai.tool.call.id": "call_stub_1",
      status: "ok",
    });
  });
});
