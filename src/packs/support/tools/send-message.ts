import { randomUUID } from "node:crypto";
import { z } from "zod";
import { defineTool } from "../../../tools/define-tool.js";
import { ToolError } from "../../../tools/tool-error.js";

// Queue the message unless this idempotency key already queued one; return the stored message id either way.
const QUEUE_SQL = `
INSERT INTO outbox (tenant_id, message_id, idempotency_key, recipient, subject, body)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id, idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
RETURNING message_id`;

/**
 * Queues an email to a customer in the tenant's outbox. A write: it needs an authorization (policy checks the
 * `outbound_message` point too), and the effect ledger id is the outbox's idempotency key, so a re-run never
 * queues the same message twice.
 */
export const sendMessage = defineTool({
  name: "send_message",
  description: "Send an email to a customer. The message is queued for delivery.",
  sideEffect: "write",
  permissions: ["messages:send"],
  policyPoints: ["outbound_message"],
  retry: { retries: 2 },
  input: z.object({
    to: z.email().describe("Recipient email address"),
    subject: z.string().min(1).max(200),
    body: z.string().min(1).max(5000),
  }),
  output: z.object({ message_id: z.string(), status: z.literal("queued") }),
  async execute(input, ctx) {
    if (!ctx.effectId) throw new ToolError("IDEMPOTENCY_KEY_MISSING", "send_message needs ctx.effectId as its idempotency key.");
    const { rows } = await ctx.db.query<{ message_id: string }>(QUEUE_SQL, [
      ctx.tenant,
      `msg_${randomUUID().replaceAll("-", "")}`,
      ctx.effectId,
      input.to,
      input.subject,
      input.body,
    ]);
    const queued = rows[0];
    if (!queued) throw new Error("outbox upsert returned no row");
    return { message_id: queued.message_id, status: "queued" as const };
  },
});
