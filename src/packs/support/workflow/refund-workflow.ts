import { END, START, StateGraph } from "@langchain/langgraph";
import { createApprovalNode } from "../../../nodes/approval.js";
import { createEscalateNode } from "../../../nodes/escalate.js";
import { createCheckEligibilityNode } from "./steps/check-eligibility.js";
import { createComposeAnswerNode } from "./steps/compose-answer.js";
import { createDraftResponseNode } from "./steps/draft-response.js";
import { createIssueRefundNode } from "./steps/issue-refund.js";
import { createLookupOrderNode } from "./steps/lookup-order.js";
import { createRequestApprovalNode } from "./steps/request-approval.js";
import { createValidateRequestNode } from "./steps/validate-request.js";
import type { DepsProvider } from "../../../kernel/deps.js";
import { continueOrEscalate } from "../../../graph/routing.js";
import { afterDraft, afterWorkflowApproval } from "./routing.js";
import { WorkflowInput, WorkflowOutput } from "../../../kernel/state.js";
import { RefundWorkflowState } from "./state.js";
import { SUPPORT_NOTICES } from "./notices.js";

/**
 * The deterministic refund workflow (`refund_workflow@1`):
 * validate → lookup order → check eligibility (policy) → draft → [approval] → issue refund → compose answer.
 * A failed step goes to `escalate`.
 */
export function buildRefundWorkflow(getDeps: DepsProvider) {
  return new StateGraph(RefundWorkflowState, { input: WorkflowInput, output: WorkflowOutput })
    .addNode("validate_request", createValidateRequestNode(getDeps))
    .addNode("lookup_order", createLookupOrderNode(getDeps))
    .addNode("check_eligibility", createCheckEligibilityNode(getDeps))
    .addNode("draft_response", createDraftResponseNode(getDeps))
    .addNode("request_approval", createRequestApprovalNode(getDeps))
    .addNode("approval", createApprovalNode(getDeps))
    .addNode("issue_refund", createIssueRefundNode(getDeps))
    .addNode("compose_answer", createComposeAnswerNode(getDeps))
    .addNode("escalate", createEscalateNode(getDeps, SUPPORT_NOTICES))
    .addEdge(START, "validate_request")
    .addConditionalEdges("validate_request", continueOrEscalate("lookup_order"), ["lookup_order", "escalate"])
    .addConditionalEdges("lookup_order", continueOrEscalate("check_eligibility"), ["check_eligibility", "escalate"])
    .addConditionalEdges("check_eligibility", continueOrEscalate("draft_response"), ["draft_response", "escalate"])
    .addConditionalEdges("draft_response", afterDraft, ["issue_refund", "request_approval", "compose_answer", "escalate"])
    .addEdge("request_approval", "approval")
    .addConditionalEdges("approval", afterWorkflowApproval, ["approval", "issue_refund", "compose_answer"])
    .addConditionalEdges("issue_refund", continueOrEscalate("compose_answer"), ["compose_answer", "escalate"])
    .addConditionalEdges("compose_answer", continueOrEscalate(END), [END, "escalate"])
    .addEdge("escalate", END);
}
