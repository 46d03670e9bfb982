import type { CustomerNotices } from "../../../kernel/notice-texts.js";
import { noticeForToolError } from "../../../nodes/customer-notices.js";

/** The core's generic notices in the support domain's words (`PackSpec.notices`: runs under `support@*`). */
export const SUPPORT_NOTICES = {
  escalated: "I could not complete this automatically. I have passed it to a member of our support team, who will follow up.",
  unavailable: "What your request needs is not available right now, so I could not complete it. I have passed it to a member of our support team, who will follow up.",
  followUp: "A member of our support team will follow up.",
} as const satisfies Partial<CustomerNotices>;

/** What the refund workflow tells the customer when nothing more specific may be said (see CUSTOMER_NOTICES). */
export const REFUND_NOTICES = {
  ...SUPPORT_NOTICES,
  /** No order id in a refund request. */
  orderIdMissing: "I could not find a valid order id (it looks like A-1234) in your request. I have passed it to a member of our support team, who will follow up.",
  /** A refund amount that is not a positive amount of money. */
  amountInvalid: "The refund amount in your request is not valid: it must be a positive amount with at most two decimals. I have passed your request to a member of our support team, who will follow up.",
  /** Policy denied a refund whose rule has no `customer_reason`. */
  refundDenied: "The request does not meet the conditions of our refund policy.",
  /** A refund waits for a person, and the rule gave no `customer_reason`. */
  refundInReview: "A member of our team reviews every refund before it is issued.",
  /** A person rejected the refund: their comment is for operators. */
  refundRejected: "If you have any questions about this decision, just reply to this message and we will be glad to help.",
} as const;

/** The notice for a workflow tool call that failed with `code`, when one says more than `escalated`. */
export function refundNoticeForToolError(code: string, orderId?: string): string | undefined {
  if (code === "ORDER_NOT_FOUND" && orderId !== undefined) {
    return `I could not find order ${orderId} on your account; please check the order id. I have passed your request to a member of our support team, who will follow up.`;
  }
  return noticeForToolError(code, SUPPORT_NOTICES);
}
