import { nodeKit, type DepsProvider } from "warden";
import type { {{pascal}}State, {{pascal}}Update } from "../state.js";

/**
 * The answer for how the workflow ended: changed, denied by policy (before the approval or at the effect), or not
 * approved. The customer never reads a rule's `reason`: it is for operators (the `policy.decision` event and the
 * run's `denial`).
 */
export function createComposeAnswerNode(getDeps: DepsProvider) {
  return async function composeAnswer(state: {{pascal}}State): Promise<{{pascal}}Update> {
    const kit = await nodeKit(getDeps, state, "compose_answer");
    const { record_id, status } = state.change!;
    if (state.updated) {
      kit.emit("workflow.step", { step: "compose_answer", status: "ok", detail: "changed" });
      return { answer: `Record ${record_id} is now ${status} (reference ${String(state.updated.reference)}).`, status: "completed" };
    }
    const denied = state.decision?.effect === "deny" ? { rule: state.decision.rule, reason: state.decision.reason, policy: state.decision.policy } : state.denial;
    if (denied) {
      kit.emit("workflow.step", { step: "compose_answer", status: "ok", detail: `denied by policy (${denied.rule})` });
      return { answer: `Record ${record_id} was not changed to ${status}: our policy does not allow this change.`, status: "denied", denial: denied };
    }
    kit.emit("workflow.step", { step: "compose_answer", status: "ok", detail: "not approved" });
    return { answer: `Record ${record_id} was not changed to ${status}: the change was not approved.`, status: "denied" };
  };
}
