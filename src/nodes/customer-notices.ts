/**
 * What the customer is told when nothing more specific may be said. Operator texts (a policy rule's `reason`, a
 * rollback switch's `reason`, an approver's `comment`, an escalation reason, a tool's error message) stay in
 * the trace; a customer reads a rule's `customer_reason` when it has one, and otherwise one of these. Each
 * still says what happened and what comes next.
 */
export const CUSTOMER_NOTICES = {
  /** An escalation with nothing more specific to say. */
  escalated: "I could not complete this automatically. I have passed it to a member of our support team, who will follow up.",
  /** A tool or workflow the request needs is switched off (a rollback switch): its reason is for operators. */
  unavailable: "What your request needs is not available right now, so I could not complete it. I have passed it to a member of our support team, who will follow up.",
  /** No order id in a refund request. */
  orderIdMissing: "I could not find a valid order id (it looks like A-1234) in your request. I have passed it to a member of our support team, who will follow up.",
  /** A refund amount that is not a positive amount of money. */
  amountInvalid: "The refund amount in your request is not valid: it must be a positive amount with at most two decimals. I have passed your request to a member of our support team, who will follow up.",
  /** Policy denied a refund whose rule has no `customer_reason`. */
  refundDenied: "The request does not meet the conditions of our refund policy.",
  /** Policy denied another call whose rule has no `customer_reason`. */
  requestDenied: "It is not something we can do under our policies.",
  /** A refund waits for a person, and the rule gave no `customer_reason`. */
  refundInReview: "A member of our team reviews every refund before it is issued.",
  /** A person rejected the refund: their comment is for operators. */
  refundRejected: "If you have any questions about this decision, just reply to this message and we will be glad to help.",
  /** The answer did not pass the final-answer policy and its rule gave no `customer_reason`. */
  unverified: "I could not give you a verified answer.",
  /** Follows `unverified` or the final-answer rule's `customer_reason`. */
  followUp: "A member of our support team will follow up.",
} as const;

/** The notice for a tool call that failed with `code`, when one says more than `escalated`. */
export function noticeForToolError(code: string, orderId?: string): string | undefined {
  if (code === "TOOL_DISABLED") return CUSTOMER_NOTICES.unavailable;
  if (code === "ORDER_NOT_FOUND" && orderId !== undefined) {
    return `I could not find order ${orderId} on your account; please check the order id. I have passed your request to a member of our support team, who will follow up.`;
  }
  return undefined;
}
