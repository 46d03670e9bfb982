import { z } from "zod";
import { defineTool } from "../../../tools/define-tool.js";

export const REMEMBER_TOOL = "remember" as const;

/**
 * Lets the model propose a long-term memory about the run's subject (e.g. "prefers email"). The tool stores
 * nothing: the proposal is kept in the run's state and the `memory_write` node writes it at the end of the
 * run, only if the `memory_write` policy point allows it (recorded consent) — a denied proposal is traced.
 */
export const remember = defineTool({
  name: REMEMBER_TOOL,
  description:
    "Propose remembering one durable fact about the customer for future conversations (e.g. a contact preference). " +
    "It is stored at the end of the run only if the customer consented; never store payment details or secrets.",
  sideEffect: "none",
  permissions: [],
  input: z.object({
    kind: z.enum(["preference", "fact"]).describe("preference: how the customer likes to be served; fact: something durable about them"),
    content: z.string().trim().min(1).max(500).describe("The fact, in one short sentence"),
  }),
  output: z.object({ proposed: z.literal(true), note: z.string() }),
  proposesMemory: (input) => ({ kind: input.kind, content: input.content }),
  async execute() {
    return { proposed: true as const, note: "Proposed; stored at the end of the run if the customer consented to memory." };
  },
});
