import type { Runnable } from "@langchain/core/runnables";
import { ChatOpenAI } from "@langchain/openai";
import { OfflineChatModel } from "./offline-chat-model.js";
import { ScriptedChatModel } from "./scripted-chat-model.js";

/** `gen_ai.system` values Warden emits; another injected model reports its `_llmType()`. */
export type ModelSystemName = "openai" | "warden.offline" | "warden.scripted";

/** The model behind a `bindTools(...)`/`withConfig(...)` binding (bindings nest, so unwrap all of them). */
function unwrap(model: unknown): unknown {
  let current = model;
  for (let depth = 0; depth < 10; depth += 1) {
    const bound = typeof current === "object" && current !== null ? (current as { bound?: unknown }).bound : undefined;
    if (bound === undefined) break;
    current = bound;
  }
  return current;
}

/**
 * The `gen_ai.system` trace attribute for a model or a bound model: "openai", "warden.offline",
 * "warden.scripted", or the model's `_llmType()` for anything else.
 */
export function modelSystemName(model: Runnable | object): ModelSystemName | (string & {}) {
  const inner = unwrap(model);
  if (inner instanceof ChatOpenAI) return "openai";
  if (inner instanceof OfflineChatModel) return "warden.offline";
  if (inner instanceof ScriptedChatModel) return "warden.scripted";
  const llmType = (inner as { _llmType?: () => string })._llmType;
  return typeof llmType === "function" ? llmType.call(inner) : "unknown";
}

/** The `gen_ai.request.model` trace attribute: the model name a (bound) model requests. */
export function modelRequestName(model: Runnable | object): string {
  const inner = unwrap(model) as { model?: unknown; modelName?: unknown };
  if (typeof inner.model === "string") return inner.model;
  if (typeof inner.modelName === "string") return inner.modelName;
  return "unknown";
}
