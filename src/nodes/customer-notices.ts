import type { Composition } from "../kernel/composition.js";
import type { CustomerNotices } from "../kernel/notice-texts.js";

/**
 * What the customer is told when nothing more specific may be said. Operator texts (a policy rule's `reason`, a
 * rollback switch's `reason`, an approver's `comment`, an escalation reason, a tool's error message) stay in
 * the trace; a customer reads a rule's `customer_reason` when it has one, and otherwise one of these. Neutral on
 * purpose: a pack words them for its domain (`PackSpec.notices`).
 */
export const CUSTOMER_NOTICES: Readonly<CustomerNotices> = Object.freeze({
  escalated: "I could not complete this automatically. I have passed it to a member of our team, who will follow up.",
  unavailable: "What your request needs is not available right now, so I could not complete it. I have passed it to a member of our team, who will follow up.",
  requestDenied: "It is not something we can do under our policies.",
  unverified: "I could not give you a verified answer.",
  followUp: "A member of our team will follow up.",
});

/** The notices a run under `release` reads: its pack's wording where the pack gives one, the neutral text elsewhere. */
export function customerNotices(composition: Pick<Composition, "noticesFor">, release: string): CustomerNotices {
  const notices = { ...CUSTOMER_NOTICES };
  for (const [key, text] of Object.entries(composition.noticesFor(release) ?? {}) as [keyof CustomerNotices, string | undefined][]) {
    if (typeof text === "string" && text !== "") notices[key] = text;
  }
  return notices;
}

/** The notice for a tool call that failed with `code`, when one says more than `escalated`. */
export function noticeForToolError(code: string, notices: Pick<CustomerNotices, "unavailable"> = CUSTOMER_NOTICES): string | undefined {
  return code === "TOOL_DISABLED" ? notices.unavailable : undefined;
}
