import { createHash } from "node:crypto";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { BoundToolInfo } from "./bound-tools.js";
import { LocalChatModel } from "./local-chat-model.js";
import { composeAnswer } from "./offline-answer.js";
import { planToolCalls, type PlannedCall } from "./offline-plan.js";
import { readTurn, type Turn } from "./offline-turn.js";

/** The name the offline model reports when none is given (`gen_ai.request.model`). */
export const OFFLINE_MODEL_NAME = "warden-offline-1";

const DRAFT_BLOCK = /<draft>([\s\S]*)<\/draft>/;

/**
 * `call_<n>_<hash>`: n counts tool calls across the whole conversation (unique within a thread), the hash
 * binds the id to the goal and the call (so two runs of the same conversation get the same ids, and
 * different goals rarely share one). No clock, no randomness.
 */
function toolCallId(turn: Turn, call: PlannedCall, index: number): string {
  const n = turn.toolCallsSoFar + index + 1;
  const hash = createHash("sha256")
    .update(JSON.stringify([turn.goal, call.name, call.args, n]))
    .digest("hex")
    .slice(0, 8);
  return `call_${n}_${hash}`;
}

/**
 * A deterministic stand-in for a tool-calling chat model, so the demo, tests and evals run with no network
 * and no key. It plans from the conversation: looks up the orders the goal names, reads the refund policy
 * when the goal is about refunds, messages the customer only when asked, and answers from tool results.
 *
 * @example
 * const model = new OfflineChatModel();
 * const reply = await model.bindTools([lookupOrderTool]).invoke([new HumanMessage("Where is A-1001?")]);
 * reply.tool_calls; // [{ name: "lookup_order", args: { order_id: "A-1001" }, id: "call_1_…" }]
 */
export class OfflineChatModel extends LocalChatModel {
  static override lc_name(): string {
    return "OfflineChatModel";
  }

  constructor(options: { model?: string } = {}) {
    super(options.model ?? OFFLINE_MODEL_NAME);
  }

  _llmType(): string {
    return "warden-offline";
  }

  protected respond(messages: BaseMessage[], tools: BoundToolInfo[]): AIMessage {
    const turn = readTurn(messages);
    // Asked to word a drafted reply (the workflow's last step): keep it verbatim, the facts are already right.
    const draft = DRAFT_BLOCK.exec(turn.goal)?.[1];
    if (tools.length === 0 && draft !== undefined) return new AIMessage({ content: draft.trim() });
    const bound = new Set(tools.map((tool) => tool.name));
    const planned = planToolCalls(turn, bound);
    if (planned.length === 0) return new AIMessage({ content: composeAnswer(turn, bound) });
    return new AIMessage({
      content: "",
      tool_calls: planned.map((call, index) => ({
        id: toolCallId(turn, call, index),
        name: call.name,
        args: call.args,
        type: "tool_call" as const,
      })),
    });
  }
}
