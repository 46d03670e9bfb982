import { z } from "zod";
import { defineWorkflowState } from "warden";

/** The workflow's own channels, beside the shared ones: what its steps hand each other (they stay in its subgraph). */
export const StockReportState = defineWorkflowState({
  sku: z.string().optional(),
  units: z.number().optional(),
});

export type StockReport = typeof StockReportState.State;
export type StockReportUpdate = typeof StockReportState.Update;
