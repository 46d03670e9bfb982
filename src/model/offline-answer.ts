import type { OfflineHeuristics, OfflineTools } from "./offline-heuristics.js";
import { isSideEffectFree } from "./offline-generic-plan.js";
import { claimedTools } from "./offline-plan.js";
import { summarizeResult } from "./offline-result-summary.js";
import type { Turn } from "./offline-turn.js";
import { escalationSentence, joinList, reasonSuffix } from "./offline-wording.js";

/** The reply when nothing was looked up and no pack has a word for it. */
export const GENERIC_ANSWER = "I could not find anything to look up for this request. Please tell me more about what you need.";

/**
 * The final answer, from tool results only: each pack's part first (packs as the composition lists them), then what the
 * memory context recorded, then the calls no pack claims. Of those, a side-effect-free tool's result is summarised
 * (the generic planner may have made the call); a denial is reported but not escalated (a person or a rule already
 * decided); a failure joins the one sentence that escalates to a person, with the packs' failures.
 */
export function composeAnswer(turn: Turn, tools: OfflineTools, heuristics: readonly OfflineHeuristics[]): string {
  const sentences: string[] = [];
  const failures: string[] = [];
  for (const entry of heuristics) {
    const parts = entry.answer?.(turn, tools);
    sentences.push(...(parts?.sentences ?? []));
    failures.push(...(parts?.failures ?? []));
  }

  if (turn.memory.length > 0) {
    sentences.push(`From earlier conversations I have on record: ${joinList(turn.memory.map((entry) => entry.replace(/\.$/, "")))}.`);
  }

  const claimed = claimedTools(heuristics);
  for (const call of turn.calls) {
    if (claimed.has(call.name)) continue;
    const outcome = call.outcome;
    if (outcome?.kind === "denied") sentences.push(`The ${call.name} step was not allowed${reasonSuffix(outcome)}.`);
    else if (outcome?.kind !== "ok") failures.push(`complete the ${call.name} step`);
    // What a tool with effects did is for its pack to word; a read's result is safe to state.
    else if (isSideEffectFree(tools.get(call.name))) sentences.push(summarizeResult(call, outcome.data));
  }

  if (failures.length > 0) sentences.push(escalationSentence(failures));
  if (sentences.length > 0) return sentences.join(" ");
  return heuristics.find((entry) => entry.fallback !== undefined)?.fallback ?? GENERIC_ANSWER;
}
