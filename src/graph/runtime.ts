import { END, START, StateGraph } from "@langchain/langgraph";
import { createAnswerCheckNode } from "../nodes/answer-check.js";
import { createEvaluateNode } from "../nodes/evaluate.js";
import { createIntakeNode } from "../nodes/intake.js";
import { createRouteNode } from "../nodes/route.js";
import type { DepsProvider } from "./deps.js";
import { buildRefundWorkflow } from "./refund-workflow.js";
import { afterRoute } from "./routing.js";
import { RuntimeState } from "./state.js";
import { buildSupportAgent } from "./support-agent.js";

/**
 * The top-level graph: intake → route → (refund_workflow | support_agent) → answer_check → evaluate.
 * Returned uncompiled: the runtime compiles it with the Postgres/PGlite saver, `langgraph.json` without one.
 */
export function buildRuntimeGraph(getDeps: DepsProvider) {
  return new StateGraph(RuntimeState)
    .addNode("intake", createIntakeNode(getDeps))
    .addNode("route", createRouteNode(getDeps))
    .addNode("refund_workflow", buildRefundWorkflow(getDeps).compile())
    .addNode("support_agent", buildSupportAgent(getDeps).compile())
    .addNode("answer_check", createAnswerCheckNode(getDeps))
    .addNode("evaluate", createEvaluateNode(getDeps))
    .addEdge(START, "intake")
    .addEdge("intake", "route")
    .addConditionalEdges("route", afterRoute, ["refund_workflow", "support_agent"])
    .addEdge("refund_workflow", "answer_check")
    .addEdge("support_agent", "answer_check")
    .addEdge("answer_check", "evaluate")
    .addEdge("evaluate", END);
}
