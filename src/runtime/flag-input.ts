import { z } from "zod";
import { PROMPT_FILE_PATTERN, WORKFLOW_ID_PATTERN } from "../contracts/identifiers.js";

const Name = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:@\/-]+$/, "letters, digits and . _ : @ / - only");
const common = {
  /** false turns the switch off again (the row is deleted). */
  disabled: z.boolean().default(true),
  reason: z.string().trim().min(1).max(500).optional().describe("Why: shown in flag.applied events and refusals."),
};

/**
 * One rollback switch as an operator states it (HTTP body and CLI flags share it). Each kind names what it
 * switches off: a tool, a prompt file, a model, a workflow (with its fallback), the agent route, or the runtime.
 */
export const FlagInputSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("tool"), target: Name.describe("Tool name, e.g. send_message."), ...common }),
  z.strictObject({ kind: z.literal("prompt"), target: z.string().regex(PROMPT_FILE_PATTERN).describe("Prompt file, e.g. prompts/shop@2.md."), ...common }),
  z.strictObject({ kind: z.literal("model"), target: Name.describe("Model name as in a release, e.g. gpt-4.1-mini."), ...common }),
  z.strictObject({
    kind: z.literal("workflow"),
    target: z.string().regex(WORKFLOW_ID_PATTERN).describe("Workflow id, e.g. return_workflow@1."),
    mode: z.enum(["agent", "refuse"]).default("agent").describe("agent: route its requests to the agent; refuse: ROUTE_DISABLED."),
    ...common,
  }),
  z.strictObject({ kind: z.literal("agent"), ...common }),
  z.strictObject({ kind: z.literal("runtime"), ...common }),
]);
export type FlagInput = z.output<typeof FlagInputSchema>;

/** The `target` and `mode` columns of a flag input. */
export function flagKey(input: FlagInput): { target: string; mode: string | null } {
  return { target: "target" in input ? input.target : "", mode: "mode" in input ? input.mode : null };
}
