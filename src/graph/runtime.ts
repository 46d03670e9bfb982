import { END, START, StateGraph } from "@langchain/langgraph";
import type { Composition } from "../kernel/composition.js";
import type { DepsProvider } from "../kernel/deps.js";
import { RuntimeState } from "../kernel/state.js";
import { createAnswerCheckNode } from "../nodes/answer-check.js";
import { createEvaluateNode } from "../nodes/evaluate.js";
import { createIntakeNode } from "../nodes/intake.js";
import { createMemoryReadNode } from "../nodes/memory-read.js";
import { createMemoryWriteNode } from "../nodes/memory-write.js";
import { createRouteNode } from "../nodes/route.js";
import { afterAnswerCheck, afterIntake, afterRouteTo } from "./routing.js";

/**
 * The top-level graph: intake → memory_read → route → (one of the packs' workflows or agents) → answer_check →
 * memory_write → evaluate. The memory steps run only when there is something to do: each step is a checkpoint.
 * Returned uncompiled: the runtime compiles it with the Postgres/PGlite saver, `langgraph.json` without one.
 */
export function buildRuntimeGraph(getDeps: DepsProvider, composition: Composition) {
  const routes = [...composition.workflows, ...composition.agents];
  const names = routes.map((route) => route.node);
  // addNode's types track node names literally; the packs' names are only known at run time.
  let graph = new StateGraph(RuntimeState)
    .addNode("intake", createIntakeNode(getDeps))
    .addNode("memory_read", createMemoryReadNode(getDeps))
    .addNode("route", createRouteNode(getDeps))
    .addNode("answer_check", createAnswerCheckNode(getDeps))
    .addNode("memory_write", createMemoryWriteNode(getDeps))
    .addNode("evaluate", createEvaluateNode(getDeps)) as unknown as StateGraph<typeof RuntimeState, any, any, string>;
  for (const route of routes) graph = graph.addNode(route.node, route.build(getDeps).compile() as never) as typeof graph;
  graph.addEdge(START, "intake");
  graph.addConditionalEdges("intake", afterIntake, ["memory_read", "route"]);
  graph.addEdge("memory_read", "route");
  graph.addConditionalEdges("route", afterRouteTo(names, composition.defaultAgent), names);
  for (const name of names) graph.addEdge(name, "answer_check");
  graph.addConditionalEdges("answer_check", afterAnswerCheck, ["memory_write", "evaluate"]);
  graph.addEdge("memory_write", "evaluate");
  graph.addEdge("evaluate", END);
  return graph;
}
