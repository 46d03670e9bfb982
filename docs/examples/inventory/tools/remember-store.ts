import { z } from "zod";
import { defineTool } from "warden";

/**
 * Proposes a long-term memory about the run's subject. The tool stores nothing: `memory_write` decides the
 * proposal at the end of the run (the `memory_write` policy point, with the subject's recorded consent).
 */
export const rememberStore = defineTool({
  name: "remember_store",
  description: "Propose remembering the customer's preferred pickup store for later conversations.",
  sideEffect: "none",
  permissions: [],
  input: z.object({ store: z.string().trim().min(1).max(80) }),
  output: z.object({ proposed: z.literal(true) }),
  proposesMemory: (input) => ({ kind: "preference", content: `Picks up at the ${input.store} store.` }),
  async execute() {
    return { proposed: true as const };
  },
});
