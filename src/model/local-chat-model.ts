import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import {
  BaseChatModel,
  type BindToolsInput,
  type LangSmithParams,
} from "@langchain/core/language_models/chat_models";
import { AIMessage, type AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import type { Runnable } from "@langchain/core/runnables";
import { describeBoundTools, type BoundToolInfo, type LocalChatModelCallOptions } from "./bound-tools.js";
import { estimateUsage } from "./message-text.js";

/**
 * What the offline and scripted models share: `bindTools` stores the tools in the call options exactly as
 * ChatOpenAI does (so `model.bindTools(tools).invoke(messages)` behaves the same), and every reply carries
 * `usage_metadata` and the model name in `response_metadata`. Subclasses only decide the reply.
 */
export abstract class LocalChatModel extends BaseChatModel<LocalChatModelCallOptions> {
  /** Reported as `gen_ai.request.model` and `response_metadata.model_name`. */
  readonly model: string;

  constructor(model: string) {
    super({});
    this.model = model;
  }

  /** Produces the reply to `messages` given the tools bound for this call (none when `tool_choice` is "none"). */
  protected abstract respond(messages: BaseMessage[], tools: BoundToolInfo[]): Promise<AIMessage> | AIMessage;

  override bindTools(
    tools: BindToolsInput[],
    kwargs?: Partial<LocalChatModelCallOptions>,
  ): Runnable<BaseLanguageModelInput, AIMessageChunk, LocalChatModelCallOptions> {
    return this.withConfig({ tools, ...kwargs });
  }

  override getLsParams(options: this["ParsedCallOptions"]): LangSmithParams {
    return { ls_provider: "warden", ls_model_name: this.model, ls_model_type: "chat", ...lsStop(options) };
  }

  override async _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const tools = options.tool_choice === "none" ? [] : describeBoundTools(options.tools);
    const reply = await this.respond(messages, tools);
    const toolCalls = reply.tool_calls ?? [];
    const message = new AIMessage({
      content: reply.content,
      tool_calls: toolCalls,
      ...(reply.id === undefined ? {} : { id: reply.id }),
      additional_kwargs: reply.additional_kwargs,
      usage_metadata: reply.usage_metadata ?? estimateUsage(messages, reply),
      response_metadata: {
        model_name: this.model,
        finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop",
        ...reply.response_metadata,
      },
    });
    const usage = message.usage_metadata;
    return {
      generations: [{ text: message.text, message }],
      llmOutput: {
        tokenUsage: {
          promptTokens: usage?.input_tokens,
          completionTokens: usage?.output_tokens,
          totalTokens: usage?.total_tokens,
        },
      },
    };
  }
}

function lsStop(options: { stop?: string[] }): { ls_stop?: string[] } {
  return options.stop === undefined ? {} : { ls_stop: options.stop };
}
