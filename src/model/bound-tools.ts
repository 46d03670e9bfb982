import type { BaseChatModelCallOptions, BindToolsInput } from "@langchain/core/language_models/chat_models";
import { convertToOpenAITool, isLangChainTool } from "@langchain/core/utils/function_calling";
import type { SideEffect } from "../tools/types.js";

/** A bound tool as the local models see it: the name they may call, plus what a provider would be sent. */
export interface BoundToolInfo {
  name: string;
  description?: string;
  /** JSON schema of the arguments, when the tool carried one. */
  parameters?: unknown;
  /**
   * What calling it changes, when the model was given the tool's definition (the offline model's `tools`
   * option): a provider is sent only name, description and parameters, so binding alone never tells.
   */
  sideEffect?: SideEffect;
}

/** Call options of Warden's local models: like ChatOpenAI, `bindTools` stores the tools here. */
export interface LocalChatModelCallOptions extends BaseChatModelCallOptions {
  tools?: BindToolsInput[];
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * Normalises whatever was bound (LangChain tools, OpenAI `{type: "function", function}` objects or plain
 * `{name, description, schema}` records) to name/description/parameters. Entries without a name are dropped:
 * a tool the model cannot name is a tool it cannot call.
 */
export function describeBoundTools(tools: readonly BindToolsInput[] | undefined): BoundToolInfo[] {
  const described: BoundToolInfo[] = [];
  for (const tool of tools ?? []) {
    const openAi = isLangChainTool(tool) ? convertToOpenAITool(tool) : tool;
    const fn = field(openAi, "function");
    const source = typeof field(fn, "name") === "string" ? fn : openAi;
    const name = field(source, "name");
    if (typeof name !== "string" || name === "") continue;
    const description = field(source, "description");
    const parameters = field(source, "parameters") ?? field(source, "input_schema");
    described.push({
      name,
      ...(typeof description === "string" ? { description } : {}),
      ...(parameters === undefined ? {} : { parameters }),
    });
  }
  return described;
}
