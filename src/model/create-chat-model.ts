import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ChatOpenAI } from "@langchain/openai";
import { OfflineChatModel, type OfflineChatModelOptions } from "./offline-chat-model.js";

/** A release's model choice (`releases/*.json` → `model`). */
export interface ChatModelSpec {
  /** "openai" or "openai-compatible" (any server speaking the Chat Completions API), or "offline". */
  provider: string;
  name: string;
  temperature?: number;
}

/** A BaseChatModel whose `bindTools` is known to exist (optional on BaseChatModel itself). */
export type ToolCallingChatModel = BaseChatModel & { bindTools: NonNullable<BaseChatModel["bindTools"]> };

const OPENAI_PROVIDERS = new Set(["openai", "openai-compatible"]);
const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

function setting(env: Record<string, string | undefined>, key: string): string | undefined {
  const value = env[key]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/**
 * The chat model for a release: ChatOpenAI when the provider is OpenAI(-compatible) and `OPENAI_API_KEY` is
 * set (at `OPENAI_BASE_URL` when given), otherwise the deterministic offline model, so the demo, tests and
 * evals run with no key and no network. Which one was picked shows in traces through `modelSystemName`.
 *
 * Settings come only from `env`: the base URL is always passed explicitly, because the OpenAI client would
 * otherwise fall back to `process.env.OPENAI_BASE_URL` behind an injected env's back. `offline` is what the
 * offline model plans with: the composition's pack heuristics and the tools' definitions (a provider's model
 * needs neither, so it ignores them).
 *
 * @example
 * const model = createChatModel({ provider: "openai", name: "gpt-4.1-mini", temperature: 0 });
 * const reply = await model.bindTools(tools).invoke(messages);
 */
export function createChatModel(
  spec: ChatModelSpec,
  env: Record<string, string | undefined> = process.env,
  offline: Omit<OfflineChatModelOptions, "model"> = {},
): ToolCallingChatModel {
  const apiKey = setting(env, "OPENAI_API_KEY");
  if (OPENAI_PROVIDERS.has(spec.provider) && apiKey !== undefined) {
    return new ChatOpenAI({
      model: spec.name,
      ...(spec.temperature === undefined ? {} : { temperature: spec.temperature }),
      apiKey,
      configuration: { baseURL: setting(env, "OPENAI_BASE_URL") ?? OPENAI_DEFAULT_BASE_URL },
      // One retry for a transient failure; anything longer belongs to the run's own retry/escalation.
      maxRetries: 1,
    });
  }
  // An "offline" release names its model; a keyless fallback must not claim to be the OpenAI model it replaces.
  return new OfflineChatModel({ ...offline, ...(spec.provider === "offline" ? { model: spec.name } : {}) });
}
