import { z } from "zod";
import { defineTool } from "../../../tools/define-tool.js";

const OUTCOMES = ["refund_issued", "refund_pending_approval", "refund_denied", "refund_rejected", "info"] as const;
type Outcome = (typeof OUTCOMES)[number];

interface DraftInput {
  order_id?: string | undefined;
  outcome: Outcome;
  reason: string;
  amount?: number | undefined;
  currency: string;
}

const sentence = (text: string) => {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
};

/** Deterministic templates: the same input always drafts the same text (evals and replays compare it). */
export function renderDraft(input: DraftInput): string {
  const order = input.order_id ? ` for order ${input.order_id}` : "";
  const amount = input.amount === undefined ? "" : ` of ${input.amount.toFixed(2)} ${input.currency}`;
  const reason = sentence(input.reason);
  const body: Record<Outcome, string> = {
    refund_issued: `We have issued a refund${amount}${order}. ${reason} It goes back to your original payment method and usually appears within 5 to 10 business days.`,
    refund_pending_approval: `Your refund request${amount}${order} is being reviewed by our team. ${reason} We will write to you as soon as it has been decided.`,
    refund_denied: `We are sorry, but we cannot issue a refund${amount}${order}. ${reason}`,
    refund_rejected: `After review, your refund request${amount}${order} was not approved. ${reason}`,
    info: reason,
  };
  return `Hello,\n\n${body[input.outcome]}\n\nKind regards,\nCustomer Support`;
}

/** Drafts a reply to the customer. Only a draft: nothing is sent (sending is `send_message`). */
export const draftResponse = defineTool({
  name: "draft_response",
  description: "Draft a reply to the customer for a given outcome. Returns the text only; nothing is sent.",
  sideEffect: "none",
  permissions: ["drafts:write"],
  input: z.object({
    order_id: z.string().optional().describe("Order the reply is about"),
    outcome: z.enum(OUTCOMES),
    reason: z.string().min(1).max(1000).describe("One or two sentences explaining the outcome to the customer"),
    amount: z.number().nonnegative().optional().describe("Refund amount, when there is one"),
    currency: z.string().regex(/^[A-Z]{3}$/).default("USD").describe("ISO currency code of the amount"),
  }),
  output: z.object({ draft: z.string() }),
  async execute(input) {
    return { draft: renderDraft(input) };
  },
});
