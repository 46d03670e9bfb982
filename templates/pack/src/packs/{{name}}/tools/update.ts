import { createHash } from "node:crypto";
import { z } from "zod";
import { defineTool, ToolError } from "warden";
import { findRecord, RECORD_ID, RECORD_STATUSES } from "./records.js";

/**
 * The write tool: changes a record's status. `sideEffect: "write"` puts it under the effect ledger (one effect per
 * call id, replayed rather than repeated) and makes the executor ask policy again at the moment of the effect;
 * policies/{{name}}@1.json requires an approval for every call.
 */
export const {{camel}}Update = defineTool({
  name: "{{name}}_update",
  description: "Change the status of one {{title}} record (active, paused or archived). Needs an approval.",
  sideEffect: "write",
  permissions: ["{{name}}:write"],
  input: z.object({
    record_id: z.string().regex(RECORD_ID).describe("Record id, e.g. {{prefix}}-101"),
    status: z.enum(RECORD_STATUSES).describe("The record's new status"),
  }),
  output: z.object({ record_id: z.string(), status: z.enum(RECORD_STATUSES), previous_status: z.enum(RECORD_STATUSES), reference: z.string() }),
  // Changes of one record never decide and execute at the same time.
  serializeBy: (input) => `record:${input.record_id}`,
  // What the policy's rules read as `facts.record` (e.g. archived records cannot change).
  async policyFacts(input, { tenant }) {
    const record = findRecord(tenant, input.record_id);
    return { record: record ? { exists: true, status: record.status } : { exists: false } };
  },
  async execute(input, ctx) {
    if (!ctx.effectId) throw new ToolError("IDEMPOTENCY_KEY_MISSING", "{{name}}_update needs ctx.effectId as its idempotency key.");
    const record = findRecord(ctx.tenant, input.record_id);
    if (!record) throw new ToolError("RECORD_NOT_FOUND", `No record ${input.record_id} was found.`);
    // The sample stores nothing. A real tool writes here: through `ctx.db` (the effect's own transaction, so the
    // write commits with the ledger's record of it) or to your service, passing `ctx.effectId` as its idempotency key.
    const reference = `chg_${createHash("sha256").update(ctx.effectId).digest("hex").slice(0, 12)}`;
    return { record_id: record.record_id, status: input.status, previous_status: record.status, reference };
  },
});
