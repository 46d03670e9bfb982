import { evaluateRun, type RunCheck } from "../../trace/evaluate-run.js";
import type { Evaluator } from "../evaluator.js";
import type { CaseRun } from "../run-case.js";

const CHECKS: ReadonlyArray<RunCheck["name"]> = ["no_forbidden_tool_call", "side_effects_authorized", "memory_writes_authorized", "answer_grounded", "no_unredacted_pii"];

/**
 * The run's own verdict (`evaluateRun`, the same checks the graph's evaluate node records), one score per check.
 * A refused request has no trace to judge and is skipped.
 */
const verdicts = new WeakMap<CaseRun, RunCheck[]>();

export const traceCheckEvaluators: Evaluator[] = CHECKS.map((name) => {
  return {
    key: name,
    evaluate(run: CaseRun) {
      if (run.events.length === 0) return undefined;
      let checks = verdicts.get(run);
      if (!checks) verdicts.set(run, (checks = evaluateRun(run.events).checks));
      const check = checks.find((candidate) => candidate.name === name)!;
      return { key: name, score: check.pass ? 1 : 0, pass: check.pass, comment: check.detail };
    },
  };
});
