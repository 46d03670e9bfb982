import type { DepsProvider } from "../../../../kernel/deps.js";
import type { RefundState, RefundUpdate } from "../state.js";
import type { Authorization } from "../../../../tools/types.js";
import { refundNoticeForToolError } from "../notices.js";
import { escalateWith } from "../../../../nodes/escalate.js";
import { nodeKit, workflowCallId } from "../../../../kernel/node-kit.js";
import { callWorkflowTool } from "../../../../nodes/call-workflow-tool.js";

/**
 * Step 6: the refund itself, after the approval. The executor's ledger (keyed by run and call id) and the
 * provider's idempotency key make a re-run of this step, a crash or a concurrent resume issue it once. Policy
 * decides again at the effect: a refund it now denies is not issued, and `compose_answer` says why.
 */
export function createIssueRefundNode(getDeps: DepsProvider) {
  return async function issueRefund(state: RefundState): Promise<RefundUpdate> {
    const kit = await nodeKit(getDeps, state, "issue_refund");
    const callId = workflowCallId("issue_refund");
    const eligibility = state.eligibility!;
    const approval = Object.values(state.approvals).find((entry) => entry.tool_call_id === callId && entry.status === "approved");
    let authorization: Authorization | undefined;
    if (eligibility.effect === "allow") {
      authorization = { kind: "policy", decision: { point: "tool_call", ...eligibility }, argsHash: eligibility.args_hash };
    } else if (approval) {
      authorization = { kind: "approval", approvalId: approval.approval_id, approver: approval.approver ?? "", argsHash: approval.args_hash };
    }
    if (!authorization) {
      kit.emit("workflow.step", { step: "issue_refund", status: "skipped", detail: "no allow or approval recorded" });
      return { escalation: "the refund had neither a policy allow nor an approval" };
    }
    const result = await callWorkflowTool(kit, state, "issue_refund", "issue_refund", state.refund_request!, authorization);
    const effects = result.effectId ? { [result.effectId]: { effect_id: result.effectId, tool: "issue_refund", status: result.status === "ok" ? "completed" : "failed" } } : {};
    if (result.status !== "ok" && result.denial) {
      // Approved, but the rule no longer holds (e.g. the order was refunded meanwhile): the answer explains it.
      kit.emit("workflow.step", { step: "issue_refund", status: "skipped", detail: `denied at the effect (${result.denial.rule})` });
      return { effects, denial: result.denial };
    }
    if (result.status !== "ok") {
      kit.emit("workflow.step", { step: "issue_refund", status: "failed", detail: result.error.message });
      // A switch met here (set while the run waited for approval) is "not available right now" to the customer.
      return { effects, ...escalateWith(`the refund could not be issued: ${result.error.message}`, refundNoticeForToolError(result.error.code)) };
    }
    kit.emit("workflow.step", { step: "issue_refund", status: "ok", detail: result.replayed ? "replayed from the effect ledger" : undefined });
    return { effects, refund: result.output as Record<string, unknown>, evidence: [result.callId] };
  };
}
