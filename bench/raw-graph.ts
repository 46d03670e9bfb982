import { randomUUID } from "node:crypto";
import { Annotation, Command, END, START, StateGraph, interrupt, type BaseCheckpointSaver } from "@langchain/langgraph";
import type { Durability } from "./options.js";

/**
 * The baseline: a plain LangGraph graph with the shape of a governed refund run and nothing else. Same nodes
 * executed in the same order (top graph intake → route → refund_workflow subgraph → answer_check → evaluate;
 * the subgraph validate_request → lookup_order → check_eligibility → draft_response → request_approval →
 * approval ⏸ → issue_refund → compose_answer), the same conditional edges, the same single interrupt resumed
 * with `Command({ resume })`, and trivial node bodies: no policy, tools, ledger, trace or runs table.
 */
const RawState = Annotation.Root({
  order_id: Annotation<string>(),
  /** Each node bumps it, so every superstep writes one channel (like a governed node writes its update). */
  steps: Annotation<number>(),
  routed_to: Annotation<string>(),
  approved: Annotation<boolean>(),
  answer: Annotation<string>(),
});
type RawState = typeof RawState.State;

const step = (state: RawState) => ({ steps: (state.steps ?? 0) + 1 });

function buildRawWorkflow() {
  return new StateGraph(RawState)
    .addNode("validate_request", step)
    .addNode("lookup_order", step)
    .addNode("check_eligibility", step)
    .addNode("draft_response", step)
    .addNode("request_approval", step)
    .addNode("approval", (state: RawState) => {
      const resume = interrupt({ tool: "issue_refund", args: { order_id: state.order_id } }) as { decision?: string };
      return { ...step(state), approved: resume?.decision === "approve" };
    })
    .addNode("issue_refund", step)
    .addNode("compose_answer", (state: RawState) => ({ ...step(state), answer: `refund ${state.approved ? "issued" : "rejected"} for ${state.order_id}` }))
    .addNode("escalate", step)
    .addEdge(START, "validate_request")
    .addConditionalEdges("validate_request", () => "lookup_order", ["lookup_order", "escalate"])
    .addConditionalEdges("lookup_order", () => "check_eligibility", ["check_eligibility", "escalate"])
    .addEdge("check_eligibility", "draft_response")
    .addConditionalEdges("draft_response", () => "request_approval", ["issue_refund", "request_approval", "compose_answer", "escalate"])
    .addEdge("request_approval", "approval")
    .addConditionalEdges("approval", (state: RawState) => (state.approved ? "issue_refund" : "compose_answer"), ["approval", "issue_refund", "compose_answer"])
    .addConditionalEdges("issue_refund", () => "compose_answer", ["compose_answer", "escalate"])
    .addConditionalEdges("compose_answer", () => END, [END, "escalate"])
    .addEdge("escalate", END);
}

/** Compiles the raw graph on `checkpointer` (the subgraph inherits it, as the governed one does). */
export function buildRawGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(RawState)
    .addNode("intake", step)
    .addNode("route", (state: RawState) => ({ ...step(state), routed_to: "refund_workflow" }))
    .addNode("refund_workflow", buildRawWorkflow().compile())
    .addNode("support_agent", step) // never taken; present so routing has the governed graph's two branches
    .addNode("answer_check", step)
    .addNode("evaluate", step)
    .addEdge(START, "intake")
    .addEdge("intake", "route")
    .addConditionalEdges("route", (state: RawState) => (state.routed_to === "refund_workflow" ? "refund_workflow" : "support_agent"), [
      "refund_workflow",
      "support_agent",
    ])
    .addEdge("refund_workflow", "answer_check")
    .addEdge("support_agent", "answer_check")
    .addEdge("answer_check", "evaluate")
    .addEdge("evaluate", END)
    .compile({ checkpointer, name: "raw" });
}

export type RawGraph = ReturnType<typeof buildRawGraph>;

/**
 * Node updates one completed raw run applies: intake, route, the 8 workflow steps (approval counts once: its
 * first execution stops at the interrupt and writes nothing), answer_check, evaluate.
 */
const RAW_STEPS = 12;

/**
 * One raw run: start until the interrupt, then resume it on the same thread. Throws unless the run really
 * stopped at the approval and then finished, so a broken baseline cannot pass for a fast one.
 */
export async function runRawOnce(graph: RawGraph, orderId: string, durability: Durability, afterStart?: () => void): Promise<void> {
  const config = { configurable: { thread_id: randomUUID() }, durability };
  const first = (await graph.invoke({ order_id: orderId, steps: 0 }, config)) as RawState & { __interrupt__?: unknown[] };
  if (!Array.isArray(first.__interrupt__) || first.__interrupt__.length !== 1) {
    throw new Error(`raw run for ${orderId} did not stop at the approval interrupt`);
  }
  afterStart?.();
  const done = (await graph.invoke(new Command({ resume: { decision: "approve", approver: "bob" } }), config)) as RawState;
  if (done.answer !== `refund issued for ${orderId}` || done.steps !== RAW_STEPS) {
    throw new Error(`raw run for ${orderId} did not complete (answer ${JSON.stringify(done.answer)}, steps ${done.steps})`);
  }
}
