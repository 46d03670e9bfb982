/** What the offline model reads from a support goal. Plain patterns on purpose: the model must be predictable. */
import { findOrderIds } from "../text/order-id.js";

/**
 * Order ids in the goal, canonical (`a1001`, `#A-1001` → `A-1001`), each once, in the order they appear: the
 * router's parser, so the agent looks up the same orders the workflow would.
 */
export function extractOrderIds(goal: string): string[] {
  return findOrderIds(goal);
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

const PREFERENCE = /\b(?:I|we)(?:'d| would)?\s+(?:prefer|like to be contacted|rather be contacted)\b[^.!?\n]*|\bplease remember(?: that)?\s+[^.!?\n]+|\b(?:contact|reach|call|e-?mail) me (?:by|via|on|at)\b[^.!?\n]*/i;

/**
 * A durable preference the customer states about how they want to be served ("I prefer email", "please
 * remember that I work nights"): the sentence, trimmed, or undefined. The offline model proposes it as memory.
 */
export function statedPreference(goal: string): string | undefined {
  const match = PREFERENCE.exec(goal)?.[0].trim();
  if (!match) return undefined;
  // Stored about the customer, so in the third person: "I prefer email" → "Prefers email".
  const sentence = match
    .replace(/^please remember(?: that)?\s+/i, "")
    .replace(/^(?:I|we)(?:'d| would)\s+prefer\b/i, "Would prefer")
    .replace(/^(?:I|we)\s+prefer\b/i, "Prefers")
    .replace(/^(?:I|we)(?:'d| would)?\s+(?:like|rather) to be contacted\b/i, "Wants to be contacted")
    .replace(/^(contact|reach|call|e-?mail) me\b/i, "Wants to be contacted");
  return sentence.charAt(0).toUpperCase() + sentence.slice(1) + ".";
}
