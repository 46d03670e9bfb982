import type { BaseMessage, UsageMetadata } from "@langchain/core/messages";

/**
 * The text of a message: string content as is, text blocks joined. Other blocks (tool use, images, reasoning)
 * carry no text the customer or a parser should see and contribute nothing.
 */
export function messageText(message: BaseMessage): string {
  const content: unknown = message.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((block: unknown) => {
      if (typeof block === "string") return block;
      const text = typeof block === "object" && block !== null ? (block as { text?: unknown }).text : undefined;
      return typeof text === "string" ? text : "";
    })
    .join("");
}

function messageChars(message: BaseMessage): number {
  const toolCalls = (message as { tool_calls?: unknown[] }).tool_calls;
  return messageText(message).length + (toolCalls && toolCalls.length > 0 ? JSON.stringify(toolCalls).length : 0);
}

/**
 * Token usage estimated the usual rough way (one token per four characters), so local models report usage
 * like a provider does and cost/usage trace attributes are exercised offline.
 */
export function estimateUsage(input: readonly BaseMessage[], output: BaseMessage): UsageMetadata {
  const inputTokens = Math.ceil(input.reduce((sum, message) => sum + messageChars(message), 0) / 4);
  const outputTokens = Math.ceil(messageChars(output) / 4);
  return { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
}
