import { pendingApprovals } from "../../../nodes/approval.js";
import { workflowCallId } from "../../../kernel/node-kit.js";
import type { RefundState } from "./state.js";

/** The refund workflow's own branches, decided from state alone (the generic ones are in src/graph/routing.ts). */
export function afterDraft(state: RefundState): "issue_refund" | "request_approval" | "compose_answer" | "escalate" {
  if (state.escalation) return "escalate";
  switch (state.eligibility?.effect) {
    case "allow":
      return "issue_refund";
    case "require_approval":
      return "request_approval";
    default:
      return "compose_answer";
  }
}

export function afterWorkflowApproval(state: RefundState): "approval" | "issue_refund" | "compose_answer" {
  if (pendingApprovals(state).length > 0) return "approval";
  const approval = Object.values(state.approvals).find((entry) => entry.tool_call_id === workflowCallId("issue_refund"));
  return approval?.status === "approved" ? "issue_refund" : "compose_answer";
}
