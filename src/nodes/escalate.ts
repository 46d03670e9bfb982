import type { DepsProvider } from "../graph/deps.js";
import type { State, Update } from "../graph/state.js";
import { nodeKit } from "./node-kit.js";

/** Hands the request to a person: no further tool runs, the customer is told someone will follow up. */
export function createEscalateNode(getDeps: DepsProvider) {
  return async function escalate(state: State): Promise<Update> {
    const kit = await nodeKit(getDeps, state, "escalate");
    const reason = state.escalation ?? "the request could not be completed automatically";
    kit.emit("workflow.step", { step: "escalate", status: "ok", detail: reason });
    return {
      status: "escalated",
      escalation: reason,
      answer: `I could not complete this automatically (${reason}). I have passed it to a member of our support team, who will follow up.`,
    };
  };
}
