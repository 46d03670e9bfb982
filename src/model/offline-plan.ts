import type { OfflineHeuristics, OfflineTools, PlannedCall } from "./offline-heuristics.js";
import { planFromDeclarations } from "./offline-generic-plan.js";
import type { Turn } from "./offline-turn.js";

/** Arguments as a stable key: the same arguments with their keys listed differently are the same call. */
function argsKey(args: unknown): string {
  return JSON.stringify(args, (_key, value: unknown) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

/** The tools the packs' heuristics plan and report themselves. */
export function claimedTools(heuristics: readonly OfflineHeuristics[]): Set<string> {
  return new Set(heuristics.flatMap((entry) => entry.tools));
}

/**
 * The tool calls the offline model makes next; empty means "answer now". The packs' heuristics plan first, in
 * the composition's sequence, then the generic planner reads the rest from the tools' declarations. Whoever
 * planned a call, it goes out only when its tool is bound, was not denied earlier in the turn (a denied tool is
 * never retried) and was not already called with the same arguments this turn (so nothing loops).
 */
export function planToolCalls(turn: Turn, tools: OfflineTools, heuristics: readonly OfflineHeuristics[]): PlannedCall[] {
  const denied = new Set(turn.calls.filter((call) => call.outcome?.kind === "denied").map((call) => call.name));
  const made = new Set(turn.calls.map((call) => `${call.name} ${argsKey(call.args)}`));
  const proposed = [
    ...heuristics.flatMap((entry) => entry.plan?.(turn, tools) ?? []),
    ...planFromDeclarations(turn, tools, claimedTools(heuristics)),
  ];
  const planned: PlannedCall[] = [];
  for (const call of proposed) {
    const key = `${call.name} ${argsKey(call.args)}`;
    if (!tools.has(call.name) || denied.has(call.name) || made.has(key)) continue;
    made.add(key);
    planned.push(call);
  }
  return planned;
}
