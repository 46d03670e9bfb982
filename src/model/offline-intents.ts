/** What the offline model reads from a goal. Plain patterns on purpose: the model must be predictable. */

const ORDER_ID = /\b[A-Z]-\d{4}\b/g;

/** Order ids in the goal (`A-1001`), each once, in the order they appear. */
export function extractOrderIds(goal: string): string[] {
  return [...new Set(goal.match(ORDER_ID) ?? [])];
}

/** The goal is about refunds, returns or the policy, so the policy should be read before answering. */
export function asksAboutRefundPolicy(goal: string): boolean {
  return /\b(refunds?|refunded|returns?|returning|polic(y|ies)|money back)\b/i.test(goal);
}

/** The goal asks for money back (the model never issues refunds itself; the refund workflow does). */
export function asksForRefund(goal: string): boolean {
  return /\b(refund (me|my|it|this|the order)|want (a|my) refund|issue (a|the) refund|money back)\b/i.test(goal);
}

const TARGET = String.raw`(?:(?:the|our|this|that)\s+)?(?:customer|client|buyer|them|him|her)`;
const CONTACT_PATTERNS = [
  new RegExp(String.raw`\b(?:e-?mail|message|notify|contact|tell|inform|write\s+to)\s+${TARGET}\b`, "i"),
  new RegExp(String.raw`\blet\s+${TARGET}\s+know\b`, "i"),
  new RegExp(String.raw`\bsend\s+(?:${TARGET}\s+)?an?\s+(?:message|e-?mail|note)\b`, "i"),
];

/**
 * The goal explicitly asks to contact the customer ("email the customer", "let them know", "send a message").
 * The object has to follow the verb, so "tell me where my order is" is not a request to message anyone.
 */
export function asksToMessageCustomer(goal: string): boolean {
  return CONTACT_PATTERNS.some((pattern) => pattern.test(goal));
}
