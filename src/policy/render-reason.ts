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
 * @example renderReason("Refund of {subject.args.amount} exceeds {params.refund_cap}", scope)
 *   // "Refund of 600 exceeds 500"
 */
export function renderReason(template: string, scope: PolicyScope): string {
  return template.replace(PLACEHOLDER_PATTERN, (placeholder, path: string) =>
    PATH_PATTERN.test(path) ? formatValue(resolvePath(scope, path)) : placeholder,
  );
}
