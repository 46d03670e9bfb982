import type { DepsProvider } from "../../../../kernel/deps.js";
import type { RefundState, RefundUpdate } from "../state.js";
import { refundNoticeForToolError } from "../notices.js";
import { escalateWith } from "../../../../nodes/escalate.js";
import { nodeKit } from "../../../../kernel/node-kit.js";
import { callWorkflowTool } from "../../../../nodes/call-workflow-tool.js";

/** Step 2: the order, read through the `lookup_order` tool (tenant-scoped: another tenant's order is not found). */
export function createLookupOrderNode(getDeps: DepsProvider) {
  return async function lookupOrder(state: RefundState): Promise<RefundUpdate> {
    const kit = await nodeKit(getDeps, state, "lookup_order");
    const orderId = state.refund_request!.order_id;
    const result = await callWorkflowTool(kit, state, "lookup_order", "lookup_order", { order_id: orderId });
    if (result.status !== "ok") {
      kit.emit("workflow.step", { step: "lookup_order", status: "failed", detail: result.error.message });
      return escalateWith(`order lookup failed: ${result.error.message}`, refundNoticeForToolError(result.error.code, orderId));
    }
    kit.emit("workflow.step", { step: "lookup_order", status: "ok" });
    return { order: result.output as Record<string, unknown>, evidence: [result.callId] };
  };
}
