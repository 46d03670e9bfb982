import { PATH_PATTERN } from "./condition-schema.js";
import { resolvePath, type PolicyScope } from "./conditions.js";

/** `{anything}` in a reason; the schema rejects placeholders whose content is not a valid path. */
export const PLACEHOLDER_PATTERN = /\{([^{}]*)\}/g;

/* Reasons land in traces and API answers: keep a long subject value (an answer text) from flooding them. */
const MAX_VALUE_LENGTH = 120;

function formatValue(value: unknown): string {
  if (value === undefined || value === null) return "(missing)";
  const text = typeof value === "object" ? (JSON.stringify(value) ?? String(value)) : String(value);
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

/**
 * Fills `{path}` placeholders of a rule's reason from the evaluation scope.
 * @example renderReason("Credit of {subject.args.amount} exceeds {params.credit_cap}", scope)
 *   // "Credit of 600 exceeds 500"
 */
export function renderReason(template: string, scope: PolicyScope): string {
  return template.replace(PLACEHOLDER_PATTERN, (placeholder, path: string) =>
    PATH_PATTERN.test(path) ? formatValue(resolvePath(scope, path)) : placeholder,
  );
}

/**
 * Fills the placeholders of a rule's `customer_reason`, strictly: the customer must never read `(missing)` or a
 * JSON object, so a placeholder that resolves to anything but a string, a finite number or a boolean makes the
 * whole text undefined (the caller then says something neutral). Long values are cut as in `renderReason`.
 * @example renderCustomerReason("outside our {params.window_days}-day return window", scope)
 *   // "outside our 30-day return window"
 */
export function renderCustomerReason(template: string, scope: PolicyScope): string | undefined {
  let complete = true;
  const text = template.replace(PLACEHOLDER_PATTERN, (placeholder, path: string) => {
    const value = PATH_PATTERN.test(path) ? resolvePath(scope, path) : undefined;
    const readable = typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
    if (!readable) complete = false;
    return readable ? formatValue(value) : placeholder;
  });
  return complete ? text : undefined;
}
