/**
 * The customer-facing texts the core nodes fall back on when nothing more specific may be said. The runtime's
 * own (src/nodes/customer-notices.ts) are neutral; a pack words them for its domain (`PackSpec.notices`), and
 * the run's release decides whose apply. Each still says what happened and what comes next.
 */
export interface CustomerNotices {
  /** An escalation with nothing more specific to say. */
  escalated: string;
  /** A tool or workflow the request needs is switched off (a rollback switch): its reason is for operators. */
  unavailable: string;
  /** Policy denied a call whose rule has no `customer_reason` (and the tool's pack gave no text of its own). */
  requestDenied: string;
  /** The answer did not pass the final-answer policy and its rule gave no `customer_reason`. */
  unverified: string;
  /** Follows `unverified` or the final-answer rule's `customer_reason`. */
  followUp: string;
}
