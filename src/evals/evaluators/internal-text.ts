import type { TraceEvent } from "../../trace/types.js";
import { defineEvaluator, scoreOf } from "../evaluator.js";

/**
 * Texts written for operators, as the trace keeps them: policy reasons (with their hints, e.g. "send a draft
 * explanation instead"), approvers' comments, switches' reasons, error messages, rule ids. The customer hears
 * customer-facing text; none of these belongs in the answer.
 */
function operatorTexts(events: readonly TraceEvent[]): string[] {
  const texts: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === "string" && value.trim() !== "") texts.push(value);
  };
  for (const event of events) {
    const a = event.attributes;
    switch (event.kind) {
      case "policy.decision":
        add(a.reason);
        if (typeof a.rule === "string" && a.rule.includes("-")) texts.push(a.rule);
        break;
      case "approval.requested":
        add(a.reason);
        break;
      case "approval.resolved":
        add(a.comment);
        break;
      case "flag.applied":
        add(a.reason);
        break;
      case "route.decided":
        add(a.reason);
        break;
      case "tool.call":
      case "run.failed":
        add(a.error_message);
        break;
      case "workflow.step":
        // The escalate step traces the operator's reason in `detail`; other steps' details are facts, not prose.
        if (a.step === "escalate") add(a.detail);
        break;
      default:
        break;
    }
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
