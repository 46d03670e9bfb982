import type { BoundToolInfo } from "./bound-tools.js";
import type { OfflineTools, PlannedCall } from "./offline-heuristics.js";
import { fillArguments } from "./offline-tool-arguments.js";
import { goalMentionsTool } from "./offline-tool-mentions.js";
import type { Turn } from "./offline-turn.js";

/**
 * A tool the generic planner may call: declared without a side effect. A tool whose definition the model was
 * not given (no `sideEffect`) might write, so it is never called generically.
 */
export function isSideEffectFree(tool: BoundToolInfo | undefined): boolean {
  return tool?.sideEffect === "none" || tool?.sideEffect === "read";
}

/**
 * The calls the goal asks for, read from the bound tools' declarations alone: every side-effect-free tool the
 * goal mentions (`goalMentionsTool`) whose required arguments the goal fills (`fillArguments`). Tools a pack's
 * heuristics claim are theirs to plan. Independent reads, so they go out together.
 */
export function planFromDeclarations(turn: Turn, tools: OfflineTools, claimed: ReadonlySet<string>): PlannedCall[] {
  const planned: PlannedCall[] = [];
  for (const tool of tools.values()) {
    if (claimed.has(tool.name) || !isSideEffectFree(tool) || !goalMentionsTool(turn.goal, tool)) continue;
    for (const args of fillArguments(turn.goal, tool.parameters) ?? []) planned.push({ name: tool.name, args });
  }
  return planned;
}
