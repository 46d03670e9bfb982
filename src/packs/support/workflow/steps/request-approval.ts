import type { DepsProvider } from "../../../../kernel/deps.js";
import type { RefundState, RefundUpdate } from "../state.js";
import { openApproval } from "../../../../nodes/gate-tool-call.js";
import { nodeKit, workflowCallId } from "../../../../kernel/node-kit.js";

/** Step 5a: opens the approval for the exact refund policy judged (bound to its argument hash). */
export function createRequestApprovalNode(getDeps: DepsProvider) {
  return async function requestApproval(state: RefundState): Promise<RefundUpdate> {
    const kit = await nodeKit(getDeps, state, "request_approval");
    const approval = await openApproval(kit, state, { id: workflowCallId("issue_refund"), name: "issue_refund", args: state.refund_request }, state.eligibility!);
    kit.emit("workflow.step", { step: "request_approval", status: "ok", detail: approval.approval_id });
    return { approvals: { [approval.approval_id]: approval } };
  };
}
