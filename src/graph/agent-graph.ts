import { END, START, StateGraph } from "@langchain/langgraph";
import { createAgentNode } from "../nodes/agent.js";
import { createApprovalNode } from "../nodes/approval.js";
import { createEscalateNode } from "../nodes/escalate.js";
import { createPolicyGateNode } from "../nodes/policy-gate.js";
import { createToolsNode } from "../nodes/tools.js";
import type { DepsProvider } from "../kernel/deps.js";
import { afterAgent, afterAgentApproval, afterPolicyGate, afterTools } from "./routing.js";
import { AgentInput, AgentOutput, RuntimeState } from "../kernel/state.js";

/**
 * An agent's graph (every pack's agents use it): agent → policy gate → [approval] → tools → agent, bounded by the release's
 * `max_steps` of its `agents` entry (then escalated). A permanent tool failure escalates too; a call policy denies at the moment
 * of its effect ends the run `denied`.
 */
export function buildAgentGraph(getDeps: DepsProvider) {
  return new StateGraph(RuntimeState, { input: AgentInput, output: AgentOutput })
    .addNode("agent", createAgentNode(getDeps))
    .addNode("policy_gate", createPolicyGateNode(getDeps))
    .addNode("approval", createApprovalNode(getDeps))
    .addNode("tools", createToolsNode(getDeps))
    .addNode("escalate", createEscalateNode(getDeps))
    .addEdge(START, "agent")
    .addConditionalEdges("agent", afterAgent, ["policy_gate", "escalate", END])
    .addConditionalEdges("policy_gate", afterPolicyGate, ["approval", "tools"])
    .addConditionalEdges("approval", afterAgentApproval, ["approval", "tools"])
    .addConditionalEdges("tools", afterTools, ["agent", "escalate", END])
    .addEdge("escalate", END);
}
