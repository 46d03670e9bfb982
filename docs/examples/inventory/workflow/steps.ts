import { callWorkflowTool, escalateWith, nodeKit, type DepsProvider } from "warden";
import type { StockReport, StockReportUpdate } from "./state.js";

const SKU = /\b([a-z]+-[a-z]+)\b/i;

/** Step 1: the SKU from the goal, and its stock through the `check_stock` tool (policy first, then the executor). */
export function createLookUpNode(getDeps: DepsProvider) {
  return async function lookUp(state: StockReport): Promise<StockReportUpdate> {
    const kit = await nodeKit(getDeps, state, "look_up");
    const sku = SKU.exec(state.goal)?.[1]?.toLowerCase();
    if (!sku) return escalateWith("the request names no SKU", "Which product do you mean? Please give its SKU, e.g. mug-blue.");
    const result = await callWorkflowTool(kit, state, "look_up", "check_stock", { sku });
    if (result.status !== "ok") {
      kit.emit("workflow.step", { step: "look_up", status: "failed", detail: result.error.message });
      return escalateWith(`stock lookup failed: ${result.error.message}`);
    }
    kit.emit("workflow.step", { step: "look_up", status: "ok" });
    return { sku, units: (result.output as { units: number }).units, evidence: [result.callId] };
  };
}

/** Step 2: the answer, from what step 1 found (it rests on the lookup's evidence). */
export function createComposeReportNode(getDeps: DepsProvider) {
  return async function composeReport(state: StockReport): Promise<StockReportUpdate> {
    const kit = await nodeKit(getDeps, state, "compose_report");
    kit.emit("workflow.step", { step: "compose_report", status: "ok" });
    return { answer: `${state.sku}: ${state.units} in stock.`, status: "completed" };
  };
}
