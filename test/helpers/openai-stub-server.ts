import Fastify from "fastify";

/** The Chat Completions request body, as far as tests look at it. */
export interface ChatCompletionsBody {
  model: string;
  messages: Array<{ role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }>;
  tools?: Array<{ type: "function"; function: { name: string; description?: string; parameters?: unknown } }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

export interface StubUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What the stub answers: text, tool calls (args as an object or a raw JSON string), or an HTTP error. */
export type StubReply =
  | { text: string; usage?: StubUsage }
  | {
      toolCalls: Array<{ name: string; args: Record<string, unknown> | string; id?: string }>;
      text?: string;
      usage?: StubUsage;
    }
  | { httpStatus: number; message: string };

export type StubResponder = (body: ChatCompletionsBody, request: RecordedRequest) => StubReply | Promise<StubReply>;

/** One request the stub received. */
export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: ChatCompletionsBody;
}

export interface OpenAiStub {
  /** Base URL without `/v1` (use `${url}/v1` as the OpenAI base URL). */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

function estimateUsage(body: ChatCompletionsBody, reply: Exclude<StubReply, { httpStatus: number }>): StubUsage {
  if (reply.usage) return reply.usage;
  const prompt = Math.ceil(JSON.stringify(body.messages).length / 4);
  const completion = Math.ceil(JSON.stringify(reply).length / 4);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/**
 * A loopback OpenAI-compatible server (POST /v1/chat/completions, JSON or SSE when `stream: true`) on
 * 127.0.0.1, port 0. ChatOpenAI invokes it non-streaming by default, and streams when a caller streams
 * (`.stream()`, LangGraph `streamMode: "messages"`), so both are served.
 *
 * @example
 * const stub = await startOpenAiStub(() => ({ toolCalls: [{ name: "lookup_order", args: { order_id: "A-1001" } }] }));
 * const model = new ChatOpenAI({ model: "gpt-4.1-mini", apiKey: "test-key", configuration: { baseURL: `${stub.url}/v1` } });
 */
export async function startOpenAiStub(responder: StubResponder): Promise<OpenAiStub> {
  const app = Fastify({ logger: false });
  const requests: RecordedRequest[] = [];
  let completions = 0;

  app.post("/v1/chat/completions", async (request, reply) => {
    const body = request.body as ChatCompletionsBody;
    const recorded: RecordedRequest = {
      path: request.url,
      authorization: request.headers.authorization,
      headers: { ...request.headers },
      body,
    };
    requests.push(recorded);
    const answer = await responder(body, recorded);
    if ("httpStatus" in answer) {
      return reply.code(answer.httpStatus).send({ error: { message: answer.message, type: "stub_error", code: null } });
    }
    completions += 1;
    const id = `chatcmpl-stub-${completions}`;
    const toolCalls =
      "toolCalls" in answer
        ? answer.toolCalls.map((call, index) => ({
            id: call.id ?? `call_stub_${completions}_${index}`,
            type: "function" as const,
            function: { name: call.name, arguments: typeof call.args === "string" ? call.args : JSON.stringify(call.args) },
          }))
        : [];
    const text = answer.text ?? null;
    const finishReason = toolCalls.length > 0 ? "tool_calls" : "stop";
    const usage = estimateUsage(body, answer);
    const base = { id, created: 1_700_000_000, model: body.model, system_fingerprint: "stub" };

    if (body.stream !== true) {
      return reply.send({
        ...base,
        object: "chat.completion",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}), refusal: null },
            logprobs: null,
            finish_reason: finishReason,
          },
        ],
        usage,
      });
    }

    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices, ...extra })}\n\n`;
    const events = [chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }])];
    if (text) events.push(chunk([{ index: 0, delta: { content: text }, finish_reason: null }]));
    toolCalls.forEach((call, index) => {
      // Real servers send the id and name first, then the arguments in pieces.
      events.push(
        chunk([{ index: 0, delta: { tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] }, finish_reason: null }]),
        chunk([{ index: 0, delta: { tool_calls: [{ index, function: { arguments: call.function.arguments } }] }, finish_reason: null }]),
      );
    });
    events.push(chunk([{ index: 0, delta: {}, finish_reason: finishReason }]));
    if (body.stream_options?.include_usage) events.push(chunk([], { usage }));
    events.push("data: [DONE]\n\n");
    reply.hijack();
    reply.raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    for (const event of events) reply.raw.write(event);
    reply.raw.end();
    return reply;
  });

  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url: address, requests, close: () => app.close() };
}
