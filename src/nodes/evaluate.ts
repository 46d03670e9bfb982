import type { DepsProvider } from "../kernel/deps.js";
import type { State, Update } from "../kernel/state.js";
import { evaluateRun } from "../trace/evaluate-run.js";
import { nodeKit } from "../kernel/node-kit.js";

/**
 * Closes the run's trace with `run.finished`, then judges the whole trace with the pure `evaluateRun` and
 * records each check as an `eval.result` event. The verdict gates nothing here; CI and promotion read it.
 */
export function createEvaluateNode(getDeps: DepsProvider) {
  return async function evaluate(state: State): Promise<Update> {
    const kit = await nodeKit(getDeps, state, "evaluate");
    const status = state.status ?? "completed";
    kit.emit("run.finished", { status, answer: state.answer, evidence: state.evidence ?? [], route: state.routed_to });
    const evaluation = evaluateRun(await kit.trace.events());
    for (const check of evaluation.checks) {
      kit.emit("eval.result", { evaluator: check.name, pass: check.pass, score: check.pass ? 1 : 0, detail: check.detail });
    }
    kit.emit("eval.result", { evaluator: "run_verdict", pass: evaluation.verdict === "pass", score: evaluation.verdict === "pass" ? 1 : 0 });
    return { status, verdict: evaluation.verdict };
  };
}
