import type { TraceEvent } from "../../trace/types.js";
import { defineEvaluator, scoreOf } from "../evaluator.js";

/**
 * Texts written for operators, as the trace keeps them: policy reasons (with their hints, e.g. "send a draft
 * explanation instead"), approvers' comments, switches' reasons, error messages, rule ids. The customer hears
 * customer-facing text; none of these belongs in the answer.
 */
/** Where each event kind keeps text meant for operators (the escalate step's reason is its `detail`). */
const OPERATOR_FIELDS: Partial<Record<TraceEvent["kind"], readonly string[]>> = {
  "policy.decision": ["reason"],
  "approval.requested": ["reason"],
  "approval.resolved": ["comment"],
  "flag.applied": ["reason"],
  "route.decided": ["reason"],
  "tool.call": ["error_message"],
  "run.failed": ["error_message"],
};

function operatorTexts(events: readonly TraceEvent[]): string[] {
  const texts: string[] = [];
  for (const event of events) {
    const a = event.attributes;
    const fields = event.kind === "workflow.step" && a.step === "escalate" ? ["detail"] : (OPERATOR_FIELDS[event.kind] ?? []);
    for (const field of fields) {
      const value = a[field];
      if (typeof value === "string" && value.trim() !== "") texts.push(value);
    }
    // Rule ids (`return-window`) are internal names too.
    if (event.kind === "policy.decision" && typeof a.rule === "string" && a.rule.includes("-")) texts.push(a.rule);
  }
  return texts;
}

const normalize = (text: string) => text.toLowerCase().replace(/\s+/g, " ").trim();

/**
 * The parts of an operator text worth looking for: the whole text and each clause (split at `;`, `:` and
 * sentence ends), at least 12 characters so common words never match by accident; rule ids are kept whole.
 */
export function operatorClauses(text: string): string[] {
  const whole = normalize(text);
  if (/^[a-z0-9]+(-[a-z0-9]+)+$/.test(whole)) return [whole];
  const clauses = whole.split(/[;:]|\.\s|\.$|—/).map((clause) => clause.trim());
  return [...new Set([whole, ...clauses])].filter((clause) => clause.length >= 12);
}

/** No operator-facing text from the trace appears in the customer's answer (hard: a leak fails the gate). */
export const internalTextEvaluator = defineEvaluator("no_internal_text", (run) => {
  if (run.answer === undefined || run.answer.trim() === "") return undefined;
  const answer = normalize(run.answer);
  const leaked = new Set<string>();
  for (const text of operatorTexts(run.events)) for (const clause of operatorClauses(text)) if (answer.includes(clause)) leaked.add(clause);
  // Report where the leak came from, not the text itself at length: it may quote a customer.
  const problems = [...leaked].map((clause) => `answer repeats operator text "${clause.length > 60 ? `${clause.slice(0, 57)}...` : clause}"`);
  return scoreOf("no_internal_text", problems, "no operator-facing text in the answer");
});
