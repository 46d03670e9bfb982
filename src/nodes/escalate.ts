import type { DepsProvider } from "../kernel/deps.js";
import type { State, Update } from "../kernel/state.js";
import type { CustomerNotices } from "../kernel/notice-texts.js";
import { customerNotices } from "./customer-notices.js";
import { nodeKit } from "../kernel/node-kit.js";

/**
 * The update a step returns to hand the run to a person. `reason` is for operators: it is traced by `escalate`
 * (the `workflow.step` event of step `escalate`, attribute `detail`) and never shown to the customer. `notice`,
 * when the step knows more than "someone will follow up" (e.g. a switched-off tool: "not available right now"),
 * is what the customer reads; it travels in `answer`, which `escalate` keeps.
 */
export function escalateWith(reason: string, notice?: string): Update {
  return notice === undefined ? { escalation: reason } : { escalation: reason, answer: notice };
}

/**
 * Hands the request to a person: no further tool runs. The customer is told someone will follow up, in the
 * words the escalating step chose (`escalateWith`) or the `escalated` notice; the operator reason stays in the trace.
 * A graph that words its own notice passes it (`notices`); otherwise the run's release's pack's (or the neutral one) applies.
 */
export function createEscalateNode(getDeps: DepsProvider, notices?: Pick<CustomerNotices, "escalated">) {
  return async function escalate(state: State): Promise<Update> {
    const kit = await nodeKit(getDeps, state, "escalate");
    const reason = state.escalation ?? "the request could not be completed automatically";
    kit.emit("workflow.step", { step: "escalate", status: "ok", detail: reason });
    // An answer in state at this point was set with the escalation (intake clears the previous run's; paths that
    // answer end without escalating).
    return { status: "escalated", escalation: reason, answer: state.answer ?? (notices ?? customerNotices(kit.deps.composition, state.release)).escalated };
  };
}
