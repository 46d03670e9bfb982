import { END, START, StateGraph } from "@langchain/langgraph";
import { createAnswerCheckNode } from "../nodes/answer-check.js";
import { createEvaluateNode } from "../nodes/evaluate.js";
import { createIntakeNode } from "../nodes/intake.js";
import { createMemoryReadNode } from "../nodes/memory-read.js";
import { createMemoryWriteNode } from "../nodes/memory-write.js";
import { createRouteNode } from "../nodes/route.js";
import type { DepsProvider } from "../kernel/deps.js";
import { buildRefundWorkflow } from "./refund-workflow.js";
import { afterAnswerCheck, afterIntake, afterRoute } from "./routing.js";
import { RuntimeState } from "../kernel/state.js";
import { buildSupportAgent } from "./support-agent.js";

/**
 * The top-level graph: intake → memory_read → route → (refund_workflow | support_agent) → answer_check →
 * memory_write → evaluate. The memory steps run only when there is something to do: each step is a checkpoint.
 * Returned uncompiled: the runtime compiles it with the Postgres/PGlite saver, `langgraph.json` without one.
 */
export function buildRuntimeGraph(getDeps: DepsProvider) {
  return new StateGraph(RuntimeState)
    .addNode("intake", createIntakeNode(getDeps))
    .addNode("memory_read", createMemoryReadNode(getDeps))
    .addNode("route", createRouteNode(getDeps))
    .addNode("refund_workflow", buildRefundWorkflow(getDeps).compile())
    .addNode("support_agent", buildSupportAgent(getDeps).compile())
    .addNode("answer_check", createAnswerCheckNode(getDeps))
    .addNode("memory_write", createMemoryWriteNode(getDeps))
    .addNode("evaluate", createEvaluateNode(getDeps))
    .addEdge(START, "intake")
    .addConditionalEdges("intake", afterIntake, ["memory_read", "route"])
    .addEdge("memory_read", "route")
    .addConditionalEdges("route", afterRoute, ["refund_workflow", "support_agent"])
    .addEdge("refund_workflow", "answer_check")
    .addEdge("support_agent", "answer_check")
    .addConditionalEdges("answer_check", afterAnswerCheck, ["memory_write", "evaluate"])
    .addEdge("memory_write", "evaluate")
    .addEdge("evaluate", END);
}
