import { defineEvaluator, scoreOf } from "../evaluator.js";

/** The trace holds every event kind the case requires (e.g. `approval.resolved` on an approved call). */
export const traceKindsEvaluator = defineEvaluator("trace_kinds", (run) => {
  const required = run.case.expect.trace_kinds;
  if (required.length === 0) return undefined;
  const present = new Set(run.events.map((event) => event.kind));
  const problems = required.filter((kind) => !present.has(kind as never)).map((kind) => `no ${kind} event`);
  return scoreOf("trace_kinds", problems, `${required.length} required kind(s) present`);
});
