import { defineEvaluator, scoreOf } from "../evaluator.js";

/** Exactly the expected number of completed side effects per named tool (from the effect ledger): not one more. */
export const effectsCountEvaluator = defineEvaluator("effects_count", (run) => {
  const expected = run.case.expect.effects;
  if (Object.keys(expected).length === 0) return undefined;
  const problems = Object.entries(expected)
    .filter(([tool, count]) => (run.effects[tool] ?? 0) !== count)
    .map(([tool, count]) => `${tool}: ${run.effects[tool] ?? 0} effect(s), expected ${count}`);
  return scoreOf("effects_count", problems, Object.entries(expected).map(([tool, count]) => `${tool}: ${count}`).join(", "));
});
