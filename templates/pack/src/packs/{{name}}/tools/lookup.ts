import { z } from "zod";
import { defineTool, ToolError } from "warden";
import { findRecord, RECORD_ID, RECORD_STATUSES } from "./records.js";

/** The read tool: one record of the caller's tenant. The workflow's first step and the agent both use it. */
export const {{camel}}Lookup = defineTool({
  name: "{{name}}_lookup",
  description: "Look up one {{title}} record by its id (e.g. {{prefix}}-101): its title and status.",
  sideEffect: "read",
  permissions: ["{{name}}:read"],
  input: z.object({ record_id: z.string().regex(RECORD_ID).describe("Record id: {{prefix}}-, then three digits, e.g. {{prefix}}-101") }),
  output: z.object({ record_id: z.string(), title: z.string(), status: z.enum(RECORD_STATUSES) }),
  async execute(input, ctx) {
    const record = findRecord(ctx.tenant, input.record_id);
    // Recoverable: the agent can ask for the right id.
    if (!record) throw new ToolError("RECORD_NOT_FOUND", `No record ${input.record_id} was found.`, { recoverable: true });
    return record;
  },
});
