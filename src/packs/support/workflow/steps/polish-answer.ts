import { HumanMessage, SystemMessage, type AIMessage } from "@langchain/core/messages";
import { modelRequestName, modelSystemName } from "../../../../model/model-identity.js";
import { memoryContext, messageText } from "../../../../nodes/agent.js";
import type { RefundState } from "../state.js";
import type { NodeKit } from "../../../../kernel/node-kit.js";
import { effectiveModel } from "../../../../nodes/release-fallbacks.js";

export const POLISH_INSTRUCTIONS =
  "Rewrite the customer reply inside <draft> so it reads naturally. Keep every fact, amount, id and decision " +
  "exactly as written; add nothing. Return only the reply.";

/**
 * The workflow decides everything deterministically; the model only words the final reply (no tools bound).
 * An empty or failed model reply falls back to the template draft: wording must never block a refund answer.
 */
export async function polishAnswer(kit: NodeKit, draft: string, state?: RefundState): Promise<string> {
  const model = effectiveModel(kit);
  if (!model) return draft; // switched off with no fallback: the template wording is already correct
  const started = performance.now();
  let reply: AIMessage | undefined;
  try {
    // The customer's remembered preferences (e.g. tone, language) may shape the wording, never the facts.
    const memory = state ? memoryContext(state) : undefined;
    const messages = [new SystemMessage(POLISH_INSTRUCTIONS), ...(memory ? [memory] : []), new HumanMessage(`<draft>\n${draft}\n</draft>`)];
    reply = (await model.invoke(messages)) as AIMessage;
  } catch {
    reply = undefined;
  }
  kit.emit("model.call", {
    "gen_ai.system": modelSystemName(model),
    "gen_ai.request.model": modelRequestName(model),
    "gen_ai.usage.input_tokens": reply?.usage_metadata?.input_tokens ?? 0,
    "gen_ai.usage.output_tokens": reply?.usage_metadata?.output_tokens ?? 0,
    latency_ms: Math.round(performance.now() - started),
    tool_calls: [],
    "gen_ai.response.finish_reasons": [reply ? "stop" : "error"],
  });
  const text = reply ? messageText(reply).trim() : "";
  return text.length > 0 ? text : draft;
}
