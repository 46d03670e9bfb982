import { tool } from "@langchain/core/tools";
import {
  AIMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
  type AIMessageChunk,
  type BaseMessage,
} from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { isWardenError } from "../../src/errors.js";
import { createChatModel } from "../../src/model/create-chat-model.js";
import { modelRequestName, modelSystemName } from "../../src/model/model-identity.js";
import { OFFLINE_MODEL_NAME, OfflineChatModel } from "../../src/model/offline-chat-model.js";
import { aiText, aiToolCall, aiToolCalls, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import { supportOffline } from "../../src/packs/support/offline/index.js";
import { startOpenAiStub, type OpenAiStub, type StubReply } from "../helpers/openai-stub-server.js";

/** Tools in the OpenAI format the agent node binds (JSON schema from the tools' zod input). */
function openAiTool(name: string, input: z.ZodType) {
  return { type: "function" as const, function: { name, description: `The ${name} tool.`, parameters: z.toJSONSchema(input) } };
}
const lookupOrder = openAiTool("lookup_order", z.object({ order_id: z.string() }));
const readPolicy = openAiTool("read_policy", z.object({ topic: z.string() }));
const sendMessage = openAiTool("send_message", z.object({ to: z.string(), subject: z.string(), body: z.string() }));
const issueRefund = openAiTool("issue_refund", z.object({ order_id: z.string(), amount: z.number() }));
const ALL_TOOLS = [lookupOrder, readPolicy, sendMessage, issueRefund];

const ORDER_A1001 = {
  order_id: "A-1001",
  customer_email: "jane.doe@example.com",
  total_cents: 4200,
  currency: "USD",
  status: "delivered",
  delivered_days_ago: 5,
  note: "Blue mug, arrived chipped. The customer rejected the replacement.",
};
const REFUND_POLICY = {
  topic: "refunds",
  text: "Delivered orders can be refunded in full within 30 days. Refunds above $500 need a second approver.",
};

/** The offline model as a support release runs it: with the support pack's heuristics. */
const supportModel = () => new OfflineChatModel({ heuristics: [supportOffline] });

type ToolResult = { content: unknown; status?: "success" | "error" };
type Executor = (call: { name: string; args: Record<string, unknown> }) => ToolResult;

const okTools: Executor = (call) => {
  if (call.name === "lookup_order") return { content: call.args.order_id === "A-1001" ? ORDER_A1001 : { found: false } };
  if (call.name === "read_policy") return { content: REFUND_POLICY };
  if (call.name === "send_message") return { content: { message_id: "msg_1", status: "sent" } };
  return { content: { error: { code: "TOOL_UNKNOWN", message: "unknown tool" } }, status: "error" };
};

/** Runs the agent loop (model ⇄ tools) the way the agent node does, and returns the whole transcript. */
async function runLoop(
  goal: string,
  options: { tools?: object[]; execute?: Executor; model?: OfflineChatModel } = {},
): Promise<{ transcript: BaseMessage[]; replies: AIMessageChunk[] }> {
  const model = options.model ?? supportModel();
  const bound = model.bindTools(options.tools ?? ALL_TOOLS);
  const execute = options.execute ?? okTools;
  const transcript: BaseMessage[] = [new SystemMessage("You are a support agent."), new HumanMessage(goal)];
  const replies: AIMessageChunk[] = [];
  for (let step = 0; step < 8; step += 1) {
    const reply = await bound.invoke(transcript);
    replies.push(reply);
    transcript.push(reply);
    if (!reply.tool_calls?.length) return { transcript, replies };
    for (const call of reply.tool_calls) {
      const result = execute(call);
      transcript.push(
        new ToolMessage({
          content: JSON.stringify(result.content),
          tool_call_id: call.id ?? "",
          name: call.name,
          status: result.status ?? "success",
        }),
      );
    }
  }
  throw new Error("the offline model did not finish within 8 steps");
}

function finalText(replies: AIMessageChunk[]): string {
  const last = replies.at(-1);
  expect(last?.tool_calls ?? []).toEqual([]);
  return String(last?.content);
}

describe("OfflineChatModel", () => {
  it("looks up the order and reads the refund policy in one turn, then answers with the order's total", async () => {
    const { replies } = await runLoop("Where is my order A-1001 and what is your refund policy?");
    expect(replies).toHaveLength(2);
    const first = replies[0]!;
    expect(first.tool_calls?.map(({ name, args }) => ({ name, args }))).toEqual([
      { name: "lookup_order", args: { order_id: "A-1001" } },
      { name: "read_policy", args: {} },
    ]);
    const answer = finalText(replies);
    expect(answer).toContain("A-1001");
    expect(answer).toContain("$42.00");
    expect(answer).toContain("delivered 5 days ago");
    expect(answer).toContain("refunded in full within 30 days");
    // The order's note is customer data: its words ("rejected") neither leak into the answer nor read as a denial.
    expect(answer).not.toMatch(/chipped|not allowed/);
  });

  it("gives unique tool call ids that are the same on a second run of the same conversation", async () => {
    const goal = "Please email the customer about orders A-1001 and A-1002 and our returns policy.";
    const first = await runLoop(goal);
    const second = await runLoop(goal);
    const ids = first.replies.flatMap((reply) => reply.tool_calls?.map((call) => call.id) ?? []);
    expect(ids.length).toBe(4); // two lookups, the policy, then the message
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^call_\d+_[0-9a-f]{8}$/);
    expect(second.replies.flatMap((reply) => reply.tool_calls?.map((call) => call.id) ?? [])).toEqual(ids);
    expect(second.replies.map((reply) => reply.content)).toEqual(first.replies.map((reply) => reply.content));
    // A different goal starting the same way gets different ids.
    const other = await runLoop("Where is order A-1001?");
    expect(other.replies[0]?.tool_calls?.[0]?.id).not.toBe(ids[0]);
  });

  it("reports usage estimated at one token per four characters, and its model name", async () => {
    const reply = await new OfflineChatModel().invoke([new HumanMessage("0123456789")]);
    expect(reply.usage_metadata?.input_tokens).toBe(3);
    expect(reply.usage_metadata?.output_tokens).toBe(Math.ceil(String(reply.content).length / 4));
    expect(reply.usage_metadata?.total_tokens).toBe(3 + (reply.usage_metadata?.output_tokens ?? 0));
    expect(reply.response_metadata.model_name).toBe(OFFLINE_MODEL_NAME);
    const { replies } = await runLoop("Where is my order A-1001?");
    expect(replies[1]!.usage_metadata!.input_tokens).toBeGreaterThan(replies[0]!.usage_metadata!.input_tokens);
  });

  it("calls only the tools that are bound, and never issue_refund", async () => {
    const policyOnly = await runLoop("Refund me for order A-1001, what is the policy?", { tools: [readPolicy] });
    expect(policyOnly.replies[0]?.tool_calls?.map((call) => call.name)).toEqual(["read_policy"]);

    const everything = await runLoop("Refund me for order A-1001 now, issue the refund.");
    const called = everything.replies.flatMap((reply) => reply.tool_calls?.map((call) => call.name) ?? []);
    expect(called).not.toContain("issue_refund");
    expect(finalText(everything.replies)).toMatch(/cannot issue refunds myself/);

    const noTools = await supportModel().invoke([new HumanMessage("Where is my order A-1001?")]);
    expect(noTools.tool_calls).toEqual([]);
    expect(String(noTools.content)).toMatch(/order id/);
  });

  it("accepts LangChain tools as well as OpenAI-format tool definitions", async () => {
    const lookup = tool(async () => "{}", { name: "lookup_order", description: "Looks an order up.", schema: z.object({ order_id: z.string() }) });
    const reply = await supportModel().bindTools([lookup]).invoke([new HumanMessage("Status of A-1001?")]);
    expect(reply.tool_calls?.map((call) => call.name)).toEqual(["lookup_order"]);
  });

  it("escalates to a person when a tool fails, without retrying it", async () => {
    const { replies } = await runLoop("Where is my order A-1001 and what is your refund policy?", {
      execute: (call) =>
        call.name === "lookup_order"
          ? { content: { error: { code: "TOOL_TIMEOUT", message: "The tool did not finish within its timeout." } }, status: "error" }
          : okTools(call),
    });
    expect(replies).toHaveLength(2);
    const answer = finalText(replies);
    expect(answer).toMatch(/could not look up order A-1001/);
    expect(answer).toMatch(/escalated your request to a person/);
    expect(answer).toContain("refunded in full within 30 days");
  });

  it("messages the customer at the looked-up address only when asked to", async () => {
    const asked = await runLoop("Check order A-1001 and email the customer an update.");
    const sends = asked.replies.flatMap((reply) => reply.tool_calls?.filter((call) => call.name === "send_message") ?? []);
    expect(sends).toHaveLength(1);
    expect(sends[0]?.args.to).toBe("jane.doe@example.com");
    expect(sends[0]?.args.subject).toBe("Update on your order A-1001");
    expect(sends[0]?.args.body).toContain("$42.00");
    // The message goes out only after the lookup answered (it is composed from the facts).
    expect(asked.replies[0]?.tool_calls?.map((call) => call.name)).toEqual(["lookup_order"]);
    expect(finalText(asked.replies)).toMatch(/sent the customer a message/);

    const notAsked = await runLoop("Tell me where order A-1001 is.");
    expect(notAsked.replies.flatMap((reply) => reply.tool_calls?.map((call) => call.name) ?? [])).toEqual(["lookup_order"]);

    const unknownOrder = await runLoop("Look up A-9999 and notify the customer.");
    expect(finalText(unknownOrder.replies)).toMatch(/could not find order A-9999.*no email address/);
  });

  it("does not retry a denied call and says it was not allowed, quoting only a customer-facing reason", async () => {
    const { replies } = await runLoop("Look up A-1001 and message the customer.", {
      execute: (call) =>
        call.name === "send_message"
          ? { content: { error: { code: "POLICY_DENIED", message: "outbound-off: disabled during incident 42", customer_reason: "Outbound messages are disabled." } }, status: "error" }
          : okTools(call),
    });
    const sends = replies.flatMap((reply) => reply.tool_calls?.filter((call) => call.name === "send_message") ?? []);
    expect(sends).toHaveLength(1);
    const answer = finalText(replies);
    expect(answer).toMatch(/message to the customer was not allowed \(Outbound messages are disabled\)/);
    expect(answer).not.toMatch(/escalated|incident|outbound-off/);

    // A denial's message is for the model (it may hold a rule's operator reason or an approver's comment).
    const bare = await runLoop("Look up A-1001 and message the customer.", {
      execute: (call) =>
        call.name === "send_message" ? { content: { error: { code: "POLICY_DENIED", message: "rejected by the approver: tone is off" } }, status: "error" } : okTools(call),
    });
    expect(finalText(bare.replies)).toMatch(/message to the customer was not allowed, so it was not sent/);
    expect(finalText(bare.replies)).not.toContain("tone is off");
  });

  it("answers a new question in the same thread from fresh lookups, with ids that keep counting", async () => {
    const first = await runLoop("Where is order A-1001?");
    const model = supportModel();
    const transcript = [...first.transcript, new HumanMessage("And what is your refund policy?")];
    const reply = await model.bindTools(ALL_TOOLS).invoke(transcript);
    expect(reply.tool_calls?.map((call) => call.name)).toEqual(["read_policy"]);
    expect(reply.tool_calls?.[0]?.id).toMatch(/^call_2_/);
  });
});

describe("ScriptedChatModel", () => {
  it("replays its script in order and records what each call received", async () => {
    const model = new ScriptedChatModel([
      aiToolCall("lookup_order", { order_id: "A-1001" }),
      (messages) => aiText(`Seen ${messages.length} messages.`),
    ]);
    const bound = model.bindTools([lookupOrder]);
    const first = await bound.invoke([new HumanMessage("Where is A-1001?")]);
    expect(first.tool_calls).toEqual([{ name: "lookup_order", args: { order_id: "A-1001" }, id: "call_1_0", type: "tool_call" }]);
    expect(first.usage_metadata?.total_tokens).toBeGreaterThan(0);
    const second = await bound.invoke([
      new HumanMessage("Where is A-1001?"),
      first,
      new ToolMessage({ content: "{}", tool_call_id: "call_1_0" }),
    ]);
    expect(second.content).toBe("Seen 3 messages.");
    expect(model.calls).toHaveLength(2);
    expect(model.calls[0]?.tools.map((t) => t.name)).toEqual(["lookup_order"]);
    expect(model.calls[1]?.messages.at(-1)?.type).toBe("tool");
    expect(modelSystemName(bound)).toBe("warden.scripted");
    model.assertComplete();
  });

  it("keeps scripted ids and usage, and calls tools that were never bound (so tests can reach the deny path)", async () => {
    const scripted = aiToolCalls([
      { name: "delete_everything", args: {}, id: "call_x" },
      { name: "lookup_order", args: { order_id: "A-1001" }, id: "call_y" },
    ]);
    scripted.usage_metadata = { input_tokens: 7, output_tokens: 3, total_tokens: 10 };
    const reply = await new ScriptedChatModel([scripted]).bindTools([lookupOrder]).invoke("go");
    expect(reply.tool_calls?.map((call) => call.id)).toEqual(["call_x", "call_y"]);
    expect(reply.usage_metadata).toMatchObject({ input_tokens: 7, output_tokens: 3, total_tokens: 10 });
  });

  it("fails assertComplete while responses remain, and fails clearly when called past its script", async () => {
    const model = new ScriptedChatModel([aiText("one"), aiText("two")]);
    await model.invoke("hi");
    expect(() => model.assertComplete()).toThrow(/1 of 2 scripted responses were not used/);
    await model.invoke("hi");
    model.assertComplete();
    const error = await model.invoke("hi").catch((caught: unknown) => caught);
    expect(isWardenError(error, "MODEL_ERROR")).toBe(true);
    expect((error as Error).message).toMatch(/call 3 but only 2 responses were scripted/);
  });
});

describe("createChatModel", () => {
  const spec = { provider: "openai", name: "gpt-4.1-mini", temperature: 0 };

  it("picks ChatOpenAI when the provider is OpenAI and a key is set", () => {
    const model = createChatModel(spec, { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: "http://127.0.0.1:9/v1" });
    expect(model).toBeInstanceOf(ChatOpenAI);
    expect((model as ChatOpenAI).model).toBe("gpt-4.1-mini");
    expect((model as ChatOpenAI).temperature).toBe(0);
    expect(modelSystemName(model)).toBe("openai");
    expect(modelRequestName(model.bindTools([lookupOrder]))).toBe("gpt-4.1-mini");
    expect(createChatModel({ ...spec, provider: "openai-compatible" }, { OPENAI_API_KEY: "k" })).toBeInstanceOf(ChatOpenAI);
  });

  it("falls back to the offline model without a key, and for the offline provider", () => {
    for (const env of [{}, { OPENAI_API_KEY: "" }, { OPENAI_API_KEY: "  " }]) {
      const model = createChatModel(spec, env);
      expect(model).toBeInstanceOf(OfflineChatModel);
      expect(modelSystemName(model)).toBe("warden.offline");
      expect(modelRequestName(model)).toBe(OFFLINE_MODEL_NAME);
    }
    const offline = createChatModel({ provider: "offline", name: "offline-v2" }, { OPENAI_API_KEY: "sk-test" });
    expect(offline).toBeInstanceOf(OfflineChatModel);
    expect(modelRequestName(offline)).toBe("offline-v2");
  });
});

describe("ChatOpenAI against a loopback OpenAI-compatible server", () => {
  let stub: OpenAiStub;
  let next: StubReply = { text: "unused" };

  beforeAll(async () => {
    stub = await startOpenAiStub(() => next);
  });
  afterAll(async () => {
    await stub.close();
  });

  const env = () => ({ OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: `${stub.url}/v1` });

  it("returns the tool call with parsed arguments and usage, sending the key and the tool schema", async () => {
    next = {
      toolCalls: [{ name: "lookup_order", args: { order_id: "A-1001" }, id: "call_abc" }],
      usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 },
    };
    const before = stub.requests.length;
    const model = createChatModel({ provider: "openai", name: "gpt-4.1-mini", temperature: 0 }, env());
    const reply = await model.bindTools([lookupOrder]).invoke([new HumanMessage("Where is A-1001?")]);
    expect(reply.tool_calls).toEqual([{ name: "lookup_order", args: { order_id: "A-1001" }, id: "call_abc", type: "tool_call" }]);
    expect(reply.usage_metadata).toMatchObject({ input_tokens: 11, output_tokens: 5, total_tokens: 16 });

    expect(stub.requests.length).toBe(before + 1);
    const request = stub.requests.at(-1)!;
    expect(request.authorization).toBe("Bearer test-key");
    expect(request.body.model).toBe("gpt-4.1-mini");
    expect(request.body.temperature).toBe(0);
    expect(request.body.tools?.[0]?.function.name).toBe("lookup_order");
    expect(request.body.tools?.[0]?.function.parameters).toMatchObject({
      type: "object",
      properties: { order_id: { type: "string" } },
      required: ["order_id"],
    });
  });

  it("streams a tool call and usage when the caller streams", async () => {
    next = { toolCalls: [{ name: "read_policy", args: { topic: "refunds" } }], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } };
    const model = createChatModel({ provider: "openai", name: "gpt-4.1-mini" }, env());
    let merged: AIMessageChunk | undefined;
    for await (const chunk of await model.bindTools([readPolicy]).stream([new HumanMessage("policy?")])) {
      merged = merged === undefined ? chunk : merged.concat(chunk);
    }
    expect(stub.requests.at(-1)?.body.stream).toBe(true);
    expect(merged?.tool_calls?.map(({ name, args }) => ({ name, args }))).toEqual([{ name: "read_policy", args: { topic: "refunds" } }]);
    expect(merged?.usage_metadata).toMatchObject({ input_tokens: 9, output_tokens: 4, total_tokens: 13 });
  });

  it("retries a server error once, then fails", async () => {
    next = { httpStatus: 500, message: "upstream exploded" };
    const before = stub.requests.length;
    const model = createChatModel({ provider: "openai", name: "gpt-4.1-mini" }, env());
    await expect(model.invoke([new HumanMessage("hi")])).rejects.toThrow(/upstream exploded/);
    expect(stub.requests.length - before).toBe(2);
  });

  it("answers with text for the final turn", async () => {
    next = { text: "Your order A-1001 was delivered." };
    const reply = await createChatModel({ provider: "openai", name: "gpt-4.1-mini" }, env()).invoke([
      new HumanMessage("Where is A-1001?"),
      new AIMessage({ content: "", tool_calls: [{ name: "lookup_order", args: { order_id: "A-1001" }, id: "call_1" }] }),
      new ToolMessage({ content: JSON.stringify(ORDER_A1001), tool_call_id: "call_1" }),
    ]);
    expect(reply.content).toBe("Your order A-1001 was delivered.");
    // The tool result went back to the server as a `tool` message bound to its call id.
    expect(stub.requests.at(-1)?.body.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_1" });
  });
});
