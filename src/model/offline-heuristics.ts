import type { BoundToolInfo } from "./bound-tools.js";
import type { Turn } from "./offline-turn.js";

/** A tool call the offline model will make: which tool, with which arguments (the id is assigned later). */
export interface PlannedCall {
  name: string;
  args: Record<string, unknown>;
}

/** The tools bound for this model call, by name (`has(name)`: may the model call it at all). */
export type OfflineTools = ReadonlyMap<string, BoundToolInfo>;

/** What a pack's heuristics say in the final answer. */
export interface OfflineAnswerParts {
  /** What the pack's tools found, as the reply gives it (first sentence first). */
  sentences: string[];
  /**
   * What could not be done, as verb phrases ("look up the record R-7"): the reply joins every pack's failures
   * and the generic ones into one sentence that escalates to a person.
   */
  failures?: string[];
}

/**
 * A pack's domain knowledge for the offline model (`PackSpec.offline`). Runs before the generic planner, which
 * only calls side-effect-free tools it can fill from the goal: a pack uses this to chain calls (look up, then
 * write from what was found), to word its results, or to say what the model must never do itself.
 *
 * The core keeps the mechanics for every plan, the pack's included: only bound tools are called, a denied tool
 * is never called again in the turn, and a tool is called at most once per arguments per turn.
 *
 * @example
 * const offline: OfflineHeuristics = {
 *   tools: ["check_stock"],
 *   plan: (turn, tools) => (tools.has("check_stock") && /SKU-\d+/.test(turn.goal) ? [{ name: "check_stock", args: { sku: "SKU-42" } }] : []),
 *   answer: (turn) => ({ sentences: turn.calls.map((call) => `Checked ${String(call.args.sku)}.`) }),
 * };
 */
export interface OfflineHeuristics {
  /** The tools these heuristics plan and report: the generic planner and the generic answer leave them alone. */
  readonly tools: readonly string[];
  /** The calls to make next ([] when the pack has nothing to call). */
  plan?(turn: Turn, tools: OfflineTools): PlannedCall[];
  /** The pack's part of the final answer, from the turn's tool results. */
  answer?(turn: Turn, tools: OfflineTools): OfflineAnswerParts;
  /** The reply when there is nothing to report at all (no result, no memory): what the pack can help with. */
  readonly fallback?: string;
}
