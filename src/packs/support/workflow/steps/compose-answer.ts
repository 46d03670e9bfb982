import type { DepsProvider } from "../../../../kernel/deps.js";
import type { Denial } from "../../../../kernel/state.js";
import type { RefundState, RefundUpdate } from "../state.js";
import { REFUND_NOTICES, refundNoticeForToolError } from "../notices.js";
import { customerReasonOf } from "../../../../nodes/customer-reason.js";
import { escalateWith } from "../../../../nodes/escalate.js";
import { nodeKit, type NodeKit } from "../../../../kernel/node-kit.js";
import { callWorkflowTool } from "../../../../nodes/call-workflow-tool.js";
import { polishAnswer } from "./polish-answer.js";

/**
 * The workflow proposes one `fact` about a named subject: how their refund request ended, so a later run (agent
 * or workflow) knows the history. Written by `memory_write` only with the subject's consent. A later answer may
 * repeat it to the customer, so it holds customer-facing wording only.
 */
function outcomeMemory(state: RefundState, outcome: string): RefundUpdate {
  const request = state.refund_request;
  if (!state.subject || !request) return {};
  const content = `Refund request of ${request.amount.toFixed(2)} for order ${request.order_id} on ${new Date().toISOString().slice(0, 10)}: ${outcome}.`;
  return { memory_proposals: [{ proposal_id: "wf_refund_outcome", kind: "fact", content, proposed_by: "workflow" }] };
}

/** The customer-facing reason of a refund denial (the rule's `customer_reason`, or the neutral notice). */
async function refundDenialText(kit: NodeKit, state: RefundState, denial: Pick<Denial, "rule">): Promise<string> {
  return (await customerReasonOf(kit, state, { name: "issue_refund", args: state.refund_request }, denial.rule, "workflow")) ?? REFUND_NOTICES.refundDenied;
}

const clause = (sentence: string) => sentence.replace(/\.$/, "");

/**
 * Step 7: the customer-facing answer for how the workflow ended: issued, denied by policy (when the refund was
 * drafted, or when it was to be issued after the approval), or rejected. Operator texts stay out of it: the
 * rule's `reason` (in the `policy.decision` event and the run's `denial`) and the approver's comment (in the
 * `approval.resolved` event); the customer reads the rule's `customer_reason`, or that the refund was not approved.
 */
export function createComposeAnswerNode(getDeps: DepsProvider) {
  return async function composeAnswer(state: RefundState): Promise<RefundUpdate> {
    const kit = await nodeKit(getDeps, state, "compose_answer");
    const request = state.refund_request!;
    const eligibility = state.eligibility;
    if (eligibility?.effect === "deny") {
      kit.emit("workflow.step", { step: "compose_answer", status: "ok", detail: "policy denied the refund" });
      const denial = { rule: eligibility.rule, reason: eligibility.reason, policy: eligibility.policy };
      const memory = state.subject ? outcomeMemory(state, `denied by policy (${clause(await refundDenialText(kit, state, denial))})`) : {};
      return { answer: await polishAnswer(kit, state.draft ?? "", state), status: "denied", denial, ...memory };
    }
    const issued = state.refund !== undefined;
    // Denied at the effect: the draft written before the approval promised a review, so this answer replaces it.
    const denied = !issued ? state.denial : undefined;
    const deniedText = denied ? await refundDenialText(kit, state, denied) : undefined;
    const result = await callWorkflowTool(kit, state, "compose_answer", "draft_response", {
      order_id: request.order_id,
      outcome: issued ? "refund_issued" : denied ? "refund_denied" : "refund_rejected",
      reason: issued ? `Refund reference: ${String(state.refund?.refund_id)}.` : (deniedText ?? REFUND_NOTICES.refundRejected),
      amount: request.amount,
    });
    if (result.status !== "ok") {
      kit.emit("workflow.step", { step: "compose_answer", status: "failed", detail: result.error.message });
      return escalateWith(`composing the answer failed: ${result.error.message}`, refundNoticeForToolError(result.error.code));
    }
    kit.emit("workflow.step", { step: "compose_answer", status: "ok" });
    const answer = await polishAnswer(kit, (result.output as { draft: string }).draft, state);
    const outcome = issued ? `issued (reference ${String(state.refund?.refund_id)})` : deniedText ? `denied by policy when it was to be issued (${clause(deniedText)})` : "not approved";
    return { answer, evidence: [result.callId], status: issued ? "completed" : "denied", ...outcomeMemory(state, outcome) };
  };
}
