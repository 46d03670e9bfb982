import type { DepsProvider } from "../kernel/deps.js";
import type { State, Update } from "../kernel/state.js";
import { customerNotices } from "./customer-notices.js";
import { nodeKit } from "../kernel/node-kit.js";

/**
 * The final-answer policy point: an answer must rest on evidence gathered by tools in this run, or the run
 * is escalated instead of answered. Runs already escalated have nothing to check.
 */
export function createAnswerCheckNode(getDeps: DepsProvider) {
  return async function answerCheck(state: State): Promise<Update> {
    if (state.status === "escalated" || state.status === "failed") return {};
    const kit = await nodeKit(getDeps, state, "answer_check");
    const evidence = state.evidence ?? [];
    const decision = kit.loaded.policy.decide(
      "final_answer",
      { answer: state.answer ?? "", evidence, evidence_count: evidence.length },
      { tenant: state.tenant, actor: state.actor, roles: state.roles, facts: {} },
    );
    kit.emit("policy.decision", {
      point: "final_answer",
      effect: decision.effect,
      rule: decision.rule,
      reason: decision.reason,
      policy: decision.policy,
      proposed_by: "runtime",
    });
    if (decision.effect === "allow") return {};
    // The rule and its reason are for operators (the `policy.decision` event above, and `escalation`).
    const notices = customerNotices(kit.deps.composition, state.release);
    const reason = `the answer did not pass the final-answer policy (${decision.rule}: ${decision.reason})`;
    return {
      status: "escalated",
      escalation: reason,
      answer: `${decision.customerReason ?? notices.unverified} ${notices.followUp}`,
    };
  };
}
