import { findOrderId } from "../text/order-id.js";

/**
 * Whether a goal is a plain request to refund a named order (the deterministic refund workflow's work) or
 * something open-ended (the agent's). Plain patterns on purpose: routing must be predictable and explainable.
 *
 * The rule, in three parts; a goal is a refund request when all hold:
 * 1. It asks for a refund in so many words: "refund" (not "refund policy/window/status/process/..."), "money
 *    back" or "reimburse", and not negated ("don't refund", "I don't want my money back", "no refund").
 * 2. It names an order id in any spelling `findOrderId` reads (`A-1001`, `a1001`, `#A-1001`, `A 1001`).
 * 3. No sentence of it is an open question. A sentence is a question when it ends with "?", starts with a
 *    question word (what, how, why, when, where, which, who, can, could, would, will, do, does, did, is, are,
 *    am, was, were, should, may, have, has, ...) or asks to know something ("tell me if", "I wonder whether").
 *    Two forms are requests, not questions, even with a "?": a polite imperative, "could/can/would/will you
 *    (please) refund/reimburse/issue/process/give/send ..." ("Could you refund order A-1001?"), and a sentence
 *    that starts with the verb ("Refund A-1001?").
 *
 * So "Can I still get a refund for A-1002?" and "Am I eligible for a refund on A-1002?" are questions (about
 * eligibility: the agent reads the order and the policy and answers), while "Can you refund A-1002?" is a
 * request. A statement about a past refund ("I got a refund for A-1001 but...") reads as a request; that is
 * safe, because policy decides every refund (`refund-already-issued` denies a second one) and a person approves.
 */

/** The three parts of the rule above, as read from one goal. */
export interface RefundGoal {
  /** Asks for a refund in so many words, not negated (part 1). */
  asksForRefund: boolean;
  /** Some sentence is an open question (part 3). */
  hasQuestion: boolean;
  /** The first order id named, canonical (part 2). */
  orderId: string | undefined;
}

const REFUND_WORDS =
  /\brefund\b(?!\s+(?:polic(?:y|ies)|windows?|rules?|terms|process(?:es)?|status|times?|periods?|options?)\b)|\bmoney\s+back\b|\breimburse(?:ment)?\b/i;
const NEGATED =
  /\b(?:don['’]?t|do\s+not|never|no\s+need\s+to)\s+(?:(?:want|need|ask(?:ed)?\s+for|request(?:ed)?)\s+(?:a\s+|my\s+|the\s+|any\s+)?)?(?:refund|reimburse|money\s+back)\b|\bno\s+refund\b|\bcancel\s+(?:the\s+|my\s+)?refund\b/i;

const GREETING = /^(?:hi|hello|hey|dear)\b[^,.!?]*[,!]\s*/i;
const POLITE_REQUEST =
  /^(?:please\s+)?(?:can|could|would|will)\s+you\s+(?:please\s+|kindly\s+)?(?:be\s+able\s+to\s+)?(?:refund|reimburse|issue|process|give|send|arrange|get)\b/i;
const IMPERATIVE = /^(?:please\s+|kindly\s+)?(?:refund|reimburse)\b/i;
const QUESTION_START =
  /^(?:what|how|why|when|where|which|who|whose|whom|can|could|would|will|do|does|did|is|are|am|was|were|should|shall|may|might|have|has|had)\b/i;
const ASKS_TO_KNOW = /\b(?:know|tell\s+me|ask(?:ing)?|wonder(?:ing)?|check|find\s+out|sure)\s+(?:if|whether)\b/i;

/** The goal's sentences, split after `.`, `!` or `?` followed by a space, and at line breaks. */
function sentences(goal: string): string[] {
  return goal
    .split(/(?<=[.!?])\s+|\n+/)
    .map((sentence) => sentence.trim().replace(GREETING, ""))
    .filter((sentence) => sentence.length > 0);
}

/** Part 3 for one sentence. */
export function isOpenQuestion(sentence: string): boolean {
  const text = sentence.trim().replace(GREETING, "");
  if (POLITE_REQUEST.test(text) || IMPERATIVE.test(text)) return false;
  return /\?\s*$/.test(text) || QUESTION_START.test(text) || ASKS_TO_KNOW.test(text);
}

/** Reads the three parts of the rule from a goal. */
export function readRefundGoal(goal: string): RefundGoal {
  return {
    asksForRefund: REFUND_WORDS.test(goal) && !NEGATED.test(goal),
    hasQuestion: sentences(goal).some(isOpenQuestion),
    orderId: findOrderId(goal),
  };
}

/** The canonical order id when `goal` is a plain request to refund it (see {@link RefundGoal}), else undefined. */
export function refundRequestOrderId(goal: string): string | undefined {
  const read = readRefundGoal(goal);
  return read.asksForRefund && !read.hasQuestion ? read.orderId : undefined;
}
