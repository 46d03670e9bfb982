import { createTrajectoryMatchEvaluator } from "openevals";
import type { Evaluator } from "../evaluator.js";
import type { CaseRun } from "../run-case.js";

const SUCCEEDED = new Set(["ok", "replayed"]);

type Message = { role: "assistant"; content: string; tool_calls: Array<{ function: { name: string; arguments: string } }> };

/** A list of calls as the OpenAI-style assistant message openevals compares. */
function asMessages(calls: ReadonlyArray<{ tool: string; args: Record<string, unknown> }>): Message[] {
  return [{ role: "assistant", content: "", tool_calls: calls.map((call) => ({ function: { name: call.tool, arguments: JSON.stringify(call.args) } })) }];
}

/**
 * The tools the run called successfully, in sequence (each call once, however often it was replayed), against the case's
 * reference trajectory, with openevals' `createTrajectoryMatchEvaluator` in the case's match mode and args mode.
 * Arguments come from the trace, redacted: a reference that names an e-mail cannot match, by design.
 */
export const trajectoryEvaluator: Evaluator = {
  key: "trajectory",
  async evaluate(run: CaseRun) {
    const reference = run.case.expect.trajectory;
    if (!reference) return undefined;
    // A call counts once it succeeded (a failed or denied attempt is not a step the run took), once per call id.
    const seen = new Set<string>();
    const calls = run.toolCalls.filter((call) => SUCCEEDED.has(call.status) && !seen.has(call.callId) && seen.add(call.callId));
    const match = createTrajectoryMatchEvaluator({ trajectoryMatchMode: reference.mode, toolArgsMatchMode: reference.args });
    const result = await match({ outputs: asMessages(calls), referenceOutputs: asMessages(reference.calls) });
    const pass = result.score === true || result.score === 1;
    const actual = calls.map((call) => call.tool).join(" → ") || "no tool calls";
    const expected = reference.calls.map((call) => call.tool).join(" → ");
    return {
      key: "trajectory",
      score: pass ? 1 : 0,
      pass,
      comment: pass ? `${reference.mode} match (args ${reference.args}): ${actual}` : `called ${actual}; expected ${reference.mode} of ${expected} (args ${reference.args})`,
    };
  },
};
