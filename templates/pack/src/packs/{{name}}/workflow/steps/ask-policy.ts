import { gateToolCall, nodeKit, workflowCallId, type DepsProvider } from "warden";
import { {{camel}}Update } from "../../tools/update.js";
import type { {{pascal}}State, {{pascal}}Update } from "../state.js";

/**
 * Asks policy about the exact change before anything happens, and opens the approval when a rule requires one
 * (bound to the hash of these arguments: an approver approves exactly this change).
 */
export function createAskPolicyNode(getDeps: DepsProvider) {
  return async function askPolicy(state: {{pascal}}State): Promise<{{pascal}}Update> {
    const kit = await nodeKit(getDeps, state, "ask_policy");
    const call = { id: workflowCallId("apply_update"), name: {{camel}}Update.name, args: state.change! };
    const { decision, approval } = await gateToolCall(kit, state, call, { proposedBy: "workflow", requestApproval: true });
    kit.emit("workflow.step", { step: "ask_policy", status: "ok", detail: `${decision.effect} (${decision.rule})` });
    return { decision, ...(approval ? { approvals: { [approval.approval_id]: approval } } : {}) };
  };
}
