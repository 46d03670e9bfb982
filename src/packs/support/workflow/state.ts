import { z } from "zod";
import { CallDecision } from "../../../kernel/state.js";
import { defineWorkflowState } from "../../../kernel/workflow-state.js";

export const RefundRequest = z.object({ order_id: z.string(), amount: z.number(), reason: z.string() });
export type RefundRequest = z.infer<typeof RefundRequest>;

/**
 * The refund workflow's state: the shared channels plus what its steps hand each other. These stay in the
 * workflow's subgraph checkpoints; the runtime graph reads back only `WorkflowOutput`.
 */
export const RefundWorkflowState = defineWorkflowState({
  /** What to refund: parsed and validated by step 1, the amount filled in from the order at step 3. */
  refund_request: RefundRequest.optional(),
  order: z.record(z.string(), z.unknown()).optional(),
  /** Policy's answer about the exact refund, asked before anything is drafted. */
  eligibility: CallDecision.optional(),
  draft: z.string().optional(),
  /** The issued refund, as `issue_refund` returned it. */
  refund: z.record(z.string(), z.unknown()).optional(),
});

export type RefundState = typeof RefundWorkflowState.State;
export type RefundUpdate = typeof RefundWorkflowState.Update;
