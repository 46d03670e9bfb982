import { createHash } from "node:crypto";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { SideEffect } from "../tools/types.js";
import type { BoundToolInfo } from "./bound-tools.js";
import { LocalChatModel } from "./local-chat-model.js";
import { composeAnswer } from "./offline-answer.js";
import type { OfflineHeuristics, PlannedCall } from "./offline-heuristics.js";
import { planToolCalls } from "./offline-plan.js";
import { readTurn, type Turn } from "./offline-turn.js";

/** The name the offline model reports when none is given (`gen_ai.request.model`). */
export const OFFLINE_MODEL_NAME = "warden-offline-1";

const DRAFT_BLOCK = /<draft>([\s\S]*)<\/draft>/;

/** What the offline model needs to know of a tool beyond what is bound: whether calling it changes anything. */
export interface ToolDeclaration {
  name: string;
  sideEffect: SideEffect;
}

export interface OfflineChatModelOptions {
  /** Reported as `gen_ai.request.model` (default `warden-offline-1`). */
  model?: string;
  /** The packs' heuristics (`composition.offline`), run before the generic planner, first to last. */
  heuristics?: readonly OfflineHeuristics[];
  /**
   * The tools' definitions (any `{ name, sideEffect }`): the generic planner calls only tools declared here
   * without a side effect. A bound tool not declared is never called generically.
   */
  tools?: readonly ToolDeclaration[];
}

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
 * and no key. It plans from the conversation: the packs' heuristics first, then every side-effect-free tool the
 * goal mentions and fills the arguments of (read from the tools' JSON schemas), and it answers from the tool
 * results only.
 *
 * @example
 * const model = new OfflineChatModel({ tools: [checkStock] });
 * const reply = await model.bindTools([toModelTool(checkStock)]).invoke([new HumanMessage("Is SKU-42 in stock?")]);
 * reply.tool_calls; // [{ name: "check_stock", args: { sku: "SKU-42" }, id: "call_1_…" }]
 */
export class OfflineChatModel extends LocalChatModel {
  private readonly heuristics: readonly OfflineHeuristics[];
  private readonly sideEffects: ReadonlyMap<string, SideEffect>;

  static override lc_name(): string {
    return "OfflineChatModel";
  }

  constructor(options: OfflineChatModelOptions = {}) {
    super(options.model ?? OFFLINE_MODEL_NAME);
    this.heuristics = [...(options.heuristics ?? [])];
    this.sideEffects = new Map((options.tools ?? []).map((tool) => [tool.name, tool.sideEffect]));
  }

  _llmType(): string {
    return "warden-offline";
  }

  protected respond(messages: BaseMessage[], bound: BoundToolInfo[]): AIMessage {
    const turn = readTurn(messages);
    // Asked to word a drafted reply (a workflow's last step): keep it verbatim, the facts are already right.
    const draft = DRAFT_BLOCK.exec(turn.goal)?.[1];
    if (bound.length === 0 && draft !== undefined) return new AIMessage({ content: draft.trim() });
    const tools = new Map(bound.map((tool) => [tool.name, this.declared(tool)]));
    const planned = planToolCalls(turn, tools, this.heuristics);
    if (planned.length === 0) return new AIMessage({ content: composeAnswer(turn, tools, this.heuristics) });
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

  private declared(tool: BoundToolInfo): BoundToolInfo {
    const sideEffect = this.sideEffects.get(tool.name);
    return sideEffect === undefined ? tool : { ...tool, sideEffect };
  }
}
