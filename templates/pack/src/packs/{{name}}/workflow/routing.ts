import { workflowCallId } from "warden";
import type { {{pascal}}State } from "./state.js";

const waiting = (state: {{pascal}}State) => Object.values(state.approvals ?? {}).some((approval) => approval.status === "pending");

/** After policy answered: apply an allowed change, wait for an approval, or explain a denial. */
export function afterPolicy(state: {{pascal}}State): "approval" | "apply_update" | "compose_answer" | "escalate" {
  if (state.escalation) return "escalate";
  switch (state.decision?.effect) {
    case "allow":
      return "apply_update";
    case "require_approval":
      return "approval";
    default:
      return "compose_answer";
  }
}

/** After a person decided: apply the approved change, or explain that it was not approved. */
export function afterApproval(state: {{pascal}}State): "approval" | "apply_update" | "compose_answer" {
  if (waiting(state)) return "approval";
  const approval = Object.values(state.approvals).find((entry) => entry.tool_call_id === workflowCallId("apply_update"));
  return approval?.status === "approved" ? "apply_update" : "compose_answer";
}
