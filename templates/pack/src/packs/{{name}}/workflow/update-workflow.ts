import { END, START, StateGraph } from "@langchain/langgraph";
import { continueOrEscalate, createApprovalNode, createEscalateNode, WorkflowInput, WorkflowOutput, type DepsProvider } from "warden";
import { afterApproval, afterPolicy } from "./routing.js";
import { {{pascal}}WorkflowState } from "./state.js";
import { createApplyUpdateNode } from "./steps/apply-update.js";
import { createAskPolicyNode } from "./steps/ask-policy.js";
import { createComposeAnswerNode } from "./steps/compose-answer.js";
import { createLookUpNode } from "./steps/look-up.js";

/**
 * The deterministic workflow (`{{name}}_workflow@1`), two steps with an approval between them:
 * look up → ask policy → [approval] → apply update → compose answer. A failed step goes to `escalate`.
 */
export function build{{pascal}}Workflow(getDeps: DepsProvider) {
  return new StateGraph({{pascal}}WorkflowState, { input: WorkflowInput, output: WorkflowOutput })
    .addNode("look_up", createLookUpNode(getDeps))
    .addNode("ask_policy", createAskPolicyNode(getDeps))
    .addNode("approval", createApprovalNode(getDeps))
    .addNode("apply_update", createApplyUpdateNode(getDeps))
    .addNode("compose_answer", createComposeAnswerNode(getDeps))
    .addNode("escalate", createEscalateNode(getDeps))
    .addEdge(START, "look_up")
    .addConditionalEdges("look_up", continueOrEscalate("ask_policy"), ["ask_policy", "escalate"])
    .addConditionalEdges("ask_policy", afterPolicy, ["approval", "apply_update", "compose_answer", "escalate"])
    .addConditionalEdges("approval", afterApproval, ["approval", "apply_update", "compose_answer"])
    .addConditionalEdges("apply_update", continueOrEscalate("compose_answer"), ["compose_answer", "escalate"])
    .addEdge("compose_answer", END)
    .addEdge("escalate", END);
}
