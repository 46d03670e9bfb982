import { defineEvaluator, scoreOf } from "../evaluator.js";

/**
 * Where the run went and how it ended: the route, the final status (or the refusal's error code), and the error
 * codes the script's decisions met (a requester approving their own request must meet APPROVAL_FORBIDDEN).
 */
export const outcomeEvaluator = defineEvaluator("outcome", (run) => {
  const expect = run.case.expect;
  const problems: string[] = [];
  if (run.status !== expect.status) problems.push(`status ${run.status}${run.error ? ` (${run.error.code})` : ""}, expected ${expect.status}`);
  if (expect.route !== undefined && run.route !== expect.route) problems.push(`route ${run.route ?? "none"}, expected ${expect.route}`);
  if (expect.error !== undefined && run.error?.code !== expect.error) problems.push(`error ${run.error?.code ?? "none"}, expected ${expect.error}`);
  const decisions = JSON.stringify(run.decisionErrors);
  if (decisions !== JSON.stringify(expect.decision_errors)) problems.push(`decision errors ${decisions}, expected ${JSON.stringify(expect.decision_errors)}`);
  return scoreOf("outcome", problems, `${run.route ?? "no route"} → ${run.status}`);
});
