import { END, START, StateGraph } from "@langchain/langgraph";
import { continueOrEscalate, createEscalateNode, WorkflowInput, WorkflowOutput, type DepsProvider } from "warden";
import { StockReportState } from "./state.js";
import { createComposeReportNode, createLookUpNode } from "./steps.js";

/** `stock_report@1`: look up → compose report; a failed step escalates. The graph file only wires nodes. */
export function buildStockReport(getDeps: DepsProvider) {
  return new StateGraph(StockReportState, { input: WorkflowInput, output: WorkflowOutput })
    .addNode("look_up", createLookUpNode(getDeps))
    .addNode("compose_report", createComposeReportNode(getDeps))
    .addNode("escalate", createEscalateNode(getDeps))
    .addEdge(START, "look_up")
    .addConditionalEdges("look_up", continueOrEscalate("compose_report"), ["compose_report", "escalate"])
    .addEdge("compose_report", END)
    .addEdge("escalate", END);
}
