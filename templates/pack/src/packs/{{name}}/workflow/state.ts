import { z } from "zod";
import { defineWorkflowState } from "warden";
import { RECORD_STATUSES } from "../tools/records.js";

/**
 * The workflow's own channels, beside the shared ones: what its steps hand each other. They stay in the
 * workflow's subgraph; the runtime graph reads back only the outcome (answer, status, evidence, effects).
 */
export const {{pascal}}WorkflowState = defineWorkflowState({
  /** What to change, read from the request by the first step. */
  change: z.object({ record_id: z.string(), status: z.enum(RECORD_STATUSES) }).optional(),
  /** The record as `{{name}}_lookup` returned it. */
  record: z.record(z.string(), z.unknown()).optional(),
  /** Policy's answer about the exact change, bound to its arguments' hash. */
  decision: z
    .object({ effect: z.enum(["allow", "deny", "require_approval"]), rule: z.string(), reason: z.string(), policy: z.string(), args_hash: z.string() })
    .optional(),
  /** The change as `{{name}}_update` returned it. */
  updated: z.record(z.string(), z.unknown()).optional(),
});

export type {{pascal}}State = typeof {{pascal}}WorkflowState.State;
export type {{pascal}}Update = typeof {{pascal}}WorkflowState.Update;
