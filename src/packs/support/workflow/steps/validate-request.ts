import type { DepsProvider } from "../../../../kernel/deps.js";
import type { RefundState, RefundUpdate } from "../state.js";
import { REFUND_NOTICES } from "../notices.js";
import { escalateWith } from "../../../../nodes/escalate.js";
import { nodeKit } from "../../../../kernel/node-kit.js";
import { parseRefundRequest } from "./parse-refund-request.js";

const ORDER_ID = /^[A-Z]-\d{4}$/;

/** Step 1: a refund request needs an order id and, when given, a positive amount with at most two decimals. */
export function createValidateRequestNode(getDeps: DepsProvider) {
  return async function validateRequest(state: RefundState): Promise<RefundUpdate> {
    const kit = await nodeKit(getDeps, state, "validate_request");
    const request = parseRefundRequest(state.goal, state.context);
    let problem: { reason: string; notice: string } | undefined;
    if (!request.order_id || !ORDER_ID.test(request.order_id)) problem = { reason: "no valid order id (like A-1001) in the request", notice: REFUND_NOTICES.orderIdMissing };
    else if (request.amount !== undefined && !(Number.isFinite(request.amount) && request.amount > 0 && Math.round(request.amount * 100) === request.amount * 100)) {
      problem = { reason: "the refund amount must be a positive number with at most two decimals", notice: REFUND_NOTICES.amountInvalid };
    }
    kit.emit("workflow.step", { step: "validate_request", status: problem ? "failed" : "ok", detail: problem?.reason ?? `order ${request.order_id}` });
    if (problem) return escalateWith(problem.reason, problem.notice);
    // amount 0 stands for "not given yet": check_eligibility fills in the order total.
    return { refund_request: { order_id: request.order_id!, amount: request.amount ?? 0, reason: request.reason ?? state.goal } };
  };
}
