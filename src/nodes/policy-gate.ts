import type { DepsProvider } from "../kernel/deps.js";
import type { ApprovalState, CallDecision, State, Update } from "../kernel/state.js";
import { lastAiMessage } from "./agent.js";
import { gateToolCall } from "./gate-tool-call.js";
import { nodeKit } from "../kernel/node-kit.js";

/**
 * Decides every tool call the model just proposed, before anything runs. Calls that need a person get an
 * approvals row here, in a node of their own, so the approval node can interrupt without side effects.
 */
export function createPolicyGateNode(getDeps: DepsProvider) {
  return async function policyGate(state: State): Promise<Update> {
    const kit = await nodeKit(getDeps, state, "policy_gate");
    const decisions: Record<string, CallDecision> = {};
    const approvals: Record<string, ApprovalState> = {};
    for (const call of lastAiMessage(state)?.tool_calls ?? []) {
      const id = call.id ?? "";
      const result = await gateToolCall(kit, state, { id, name: call.name, args: call.args }, { proposedBy: "model", requestApproval: true });
      decisions[id] = result.decision;
      if (result.approval) approvals[result.approval.approval_id] = result.approval;
    }
    return { decisions, approvals };
  };
}
