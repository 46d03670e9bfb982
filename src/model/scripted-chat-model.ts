import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import { WardenError } from "../errors.js";
import type { BoundToolInfo } from "./bound-tools.js";
import { LocalChatModel } from "./local-chat-model.js";

/** One scripted reply: a fixed message, or a function of the conversation so far. */
export type ScriptedResponse = AIMessage | ((messages: BaseMessage[]) => AIMessage | Promise<AIMessage>);

/** What one call to a scripted model received. */
export interface ScriptedCall {
  messages: BaseMessage[];
  /** The tools bound for that call (names first, as the model would see them). */
  tools: BoundToolInfo[];
}

/**
 * A chat model that replays scripted replies one after another, for tests (like openai-agents-js's ScriptedModel).
 * It calls whatever the script says, bound or not, so tests can drive the unknown-tool and bad-argument paths.
 * Tool calls without an id get `call_<call number>_<index>`; replies without usage get an estimate.
 *
 * @example
 * const model = new ScriptedChatModel([aiToolCall("check_stock", { sku: "SKU-42" }), aiText("Done.")]);
 * // ...run the agent...
 * expect(model.calls[1]?.messages.at(-1)?.type).toBe("tool");
 * model.assertComplete();
 */
export class ScriptedChatModel extends LocalChatModel {
  /** Every call, first to last. */
  readonly calls: ScriptedCall[] = [];
  private readonly responses: ScriptedResponse[];

  static override lc_name(): string {
    return "ScriptedChatModel";
  }

  constructor(responses: ScriptedResponse[], options: { model?: string } = {}) {
    super(options.model ?? "scripted");
    this.responses = [...responses];
  }

  _llmType(): string {
    return "warden-scripted";
  }

  /** Replies not used yet. */
  get remaining(): number {
    return this.responses.length - this.calls.length;
  }

  /** Throws when scripted replies remain unused: the run took fewer model turns than the test expected. */
  assertComplete(): void {
    if (this.remaining > 0) {
      throw new Error(
        `ScriptedChatModel: ${this.remaining} of ${this.responses.length} scripted responses were not used (the model was called ${this.calls.length} times)`,
      );
    }
  }

  protected async respond(messages: BaseMessage[], tools: BoundToolInfo[]): Promise<AIMessage> {
    const index = this.calls.length;
    this.calls.push({ messages: [...messages], tools });
    const response = this.responses[index];
    if (response === undefined) {
      throw new WardenError(
        "MODEL_ERROR",
        `ScriptedChatModel: call ${index + 1} but only ${this.responses.length} responses were scripted`,
        { details: { lastMessage: messages.at(-1)?.content } },
      );
    }
    const reply = typeof response === "function" ? await response(messages) : response;
    return new AIMessage({
      content: reply.content,
      ...(reply.id === undefined ? {} : { id: reply.id }),
      tool_calls: (reply.tool_calls ?? []).map((call, callIndex) => ({
        ...call,
        id: call.id ?? `call_${index + 1}_${callIndex}`,
        type: "tool_call" as const,
      })),
      additional_kwargs: reply.additional_kwargs,
      response_metadata: reply.response_metadata,
      ...(reply.usage_metadata === undefined ? {} : { usage_metadata: reply.usage_metadata }),
    });
  }
}

/** A reply that calls one tool; the scripted model assigns an id when none is given. */
export function aiToolCall(name: string, args: Record<string, unknown>, id?: string): AIMessage {
  return aiToolCalls([{ name, args, ...(id === undefined ? {} : { id }) }]);
}

/** A reply with several tool calls at once (parallel tool calling). */
export function aiToolCalls(calls: Array<{ name: string; args: Record<string, unknown>; id?: string }>): AIMessage {
  return new AIMessage({
    content: "",
    tool_calls: calls.map((call) => ({ name: call.name, args: call.args, id: call.id, type: "tool_call" as const })),
  });
}

/** A final text reply (no tool calls). */
export function aiText(text: string): AIMessage {
  return new AIMessage({ content: text });
}
