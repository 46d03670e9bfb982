import { callWorkflowTool, escalateWith, nodeKit, workflowCallId, type DepsProvider } from "warden";
import { {{camel}}Update } from "../../tools/update.js";
import type { {{pascal}}State, {{pascal}}Update } from "../state.js";

/**
 * Step 2: the change itself, with the authorization it earned (policy's allow, or the approval). The effect
 * ledger (keyed by run and call id) makes a re-run of this step, a crash or a concurrent resume apply it once;
 * policy decides again at the moment of the effect.
 */
export function createApplyUpdateNode(getDeps: DepsProvider) {
  return async function applyUpdate(state: {{pascal}}State): Promise<{{pascal}}Update> {
    const kit = await nodeKit(getDeps, state, "apply_update");
    const callId = workflowCallId("apply_update");
    const decision = state.decision!;
    const approval = Object.values(state.approvals).find((entry) => entry.tool_call_id === callId && entry.status === "approved");
    const authorization =
      decision.effect === "allow"
        ? { kind: "policy" as const, decision: { point: "tool_call" as const, ...decision }, argsHash: decision.args_hash }
        : approval
          ? { kind: "approval" as const, approvalId: approval.approval_id, approver: approval.approver ?? "", argsHash: approval.args_hash }
          : undefined;
    if (!authorization) {
      kit.emit("workflow.step", { step: "apply_update", status: "skipped", detail: "no allow or approval recorded" });
      return { escalation: "the change had neither a policy allow nor an approval" };
    }
    const result = await callWorkflowTool(kit, state, "apply_update", {{camel}}Update.name, state.change!, authorization);
    const effects = result.effectId ? { [result.effectId]: { effect_id: result.effectId, tool: {{camel}}Update.name, status: result.status === "ok" ? "completed" : "failed" } } : {};
    if (result.status !== "ok" && result.denial) {
      kit.emit("workflow.step", { step: "apply_update", status: "skipped", detail: `denied at the effect (${result.denial.rule})` });
      return { effects, denial: result.denial };
    }
    if (result.status !== "ok") {
      kit.emit("workflow.step", { step: "apply_update", status: "failed", detail: result.error.message });
      return { effects, ...escalateWith(`the change could not be applied: ${result.error.message}`) };
    }
    kit.emit("workflow.step", { step: "apply_update", status: "ok", detail: result.replayed ? "replayed from the effect ledger" : undefined });
    return { effects, updated: result.output as Record<string, unknown>, evidence: [result.callId] };
  };
}
