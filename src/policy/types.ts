import type { PolicyPoint } from "../contracts/policy-points.js";

/** Contracts of the policy engine. Rules themselves are data (`policies/*.json`). */
export type { PolicyPoint } from "../contracts/policy-points.js";

export type PolicyEffect = "allow" | "deny" | "require_approval";

export interface Decision {
  point: PolicyPoint;
  effect: PolicyEffect;
  /** Id of the rule that decided (or of the point's default, or `policy-error`). */
  rule: string;
  /** For operators (traces, approvals, API answers): never shown to the customer. */
  reason: string;
  /**
   * The deciding rule's `customer_reason`, rendered: what the customer may be told. Absent when the rule has
   * none (or a placeholder had no value), for a point's default and for `policy-error`.
   */
  customerReason?: string;
  /** `id@version` of the policy document that decided. */
  policy: string;
}

/**
 * What a decision is about. Keys are free-form per point; the engine reads them by path
 * (`subject.tool`, `subject.args.amount`, `facts.account.balance`, ...). Conventions used by Warden's callers:
 * - tool_call / outbound_message / retrieval: `{ tool, args, known, args_valid, side_effect, proposed_by }`
 * - final_answer: `{ answer, evidence_count, evidence: string[] }`
 * - memory_write: `{ subject, kind, consent }`
 */
export type PolicySubject = Record<string, unknown>;

export interface PolicyContext {
  tenant: string;
  actor: string;
  roles: string[];
  /** Facts resolved before deciding (e.g. `account: { balance, age_days }` from the tool's `policyFacts`). */
  facts: Record<string, unknown>;
}

export interface PolicyEngine {
  /** `id@version` */
  readonly ref: string;
  /** Never throws: an error while deciding is a deny with rule `policy-error` (fail closed). */
  decide(point: PolicyPoint, subject: PolicySubject, ctx: PolicyContext): Decision;
  /**
   * The customer-facing text of rule `rule` (its `customer_reason`) rendered for this subject and context, for a
   * caller that kept only the rule id of a decision (state, the effect ledger). Undefined when the rule is not in
   * this document or has no `customer_reason`, or a placeholder has no value. Never throws; decides nothing.
   */
  customerReason(rule: string, subject: PolicySubject, ctx: PolicyContext): string | undefined;
  /** Permissions granted by a set of roles (the tool executor checks a tool's `permissions` against them). */
  permissionsFor(roles: string[]): string[];
  /** Tenant parameters (e.g. `credit_cap`), defaults merged with the tenant's overrides. */
  paramsFor(tenant: string): Record<string, unknown>;
}
