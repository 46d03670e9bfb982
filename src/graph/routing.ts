import { END } from "@langchain/langgraph";
import { lastAiMessage } from "../nodes/agent.js";
import { pendingApprovals } from "../nodes/approval.js";
import type { State } from "../kernel/state.js";

/** Conditional-edge functions: every branch of every graph is decided here, from state alone. */

/** Memory is read only for a run that names its subject. */
export function afterIntake(state: State): "memory_read" | "route" {
  return state.subject ? "memory_read" : "route";
}

/** `memory_write` runs only when a path proposed something (it also traces proposals it must refuse). */
export function afterAnswerCheck(state: State): "memory_write" | "evaluate" {
  return (state.memory_proposals ?? []).length > 0 ? "memory_write" : "evaluate";
}

/** The route node decided (`routed_to`); a state without one (never routed) goes to the default agent. */
export function afterRouteTo(routes: readonly string[], fallback: string) {
  return (state: State): string => (state.routed_to !== undefined && routes.includes(state.routed_to) ? state.routed_to : fallback);
}

/** Workflow steps that can fail put a reason in `escalation`. */
export function continueOrEscalate<Next extends string>(next: Next) {
  return (state: Pick<State, "escalation">): Next | "escalate" => (state.escalation ? "escalate" : next);
}

/** The step bound counts model turns: a turn that still wants tools after the last allowed one escalates. */
export function afterAgent(state: State): "policy_gate" | "escalate" | typeof END {
  const calls = lastAiMessage(state)?.tool_calls ?? [];
  if (calls.length === 0) return END;
  return (state.agent_steps ?? 0) >= (state.agent_max_steps ?? 6) ? "escalate" : "policy_gate";
}

export function afterPolicyGate(state: State): "approval" | "tools" {
  return pendingApprovals(state).length > 0 ? "approval" : "tools";
}

export function afterAgentApproval(state: State): "approval" | "tools" {
  return pendingApprovals(state).length > 0 ? "approval" : "tools";
}

/** A call policy denied at the moment of its effect ends the run `denied` (the tools node wrote the answer). */
export function afterTools(state: State): "agent" | "escalate" | typeof END {
  if (state.denial) return END;
  return state.escalation ? "escalate" : "agent";
}
