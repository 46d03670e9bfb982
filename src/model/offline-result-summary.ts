import type { TurnCall } from "./offline-turn.js";

/** At most this many facts of one result make it into the answer. */
const MAX_FACTS = 6;
/** Longer strings are free text (a note, a description): data, never something the model repeats. */
const MAX_STRING = 60;

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function shortText(value: string): string | undefined {
  const text = value.trim();
  return text === "" || text.length > MAX_STRING || /[\n\r<>{}]/.test(text) ? undefined : text;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "string") return shortText(value);
  if (Array.isArray(value)) return `${value.length} item${value.length === 1 ? "" : "s"}`;
  return undefined;
}

/** The argument values a call was made with, as the reply names them ("for SKU-42"). */
function argsLabel(args: Record<string, unknown>): string {
  const values = Object.values(args).map(scalar).filter((value): value is string => value !== undefined);
  return values.length > 0 ? ` for ${values.join(", ")}` : "";
}

/**
 * One sentence stating a successful result of a tool no pack words: its top-level facts (numbers, yes/no,
 * short strings, list sizes; a result wrapping one record is unwrapped), keys as words, values the call's own
 * arguments already name left out. "The check_stock result for SKU-42: in stock: yes, quantity: 12."
 */
export function summarizeResult(call: TurnCall, data: unknown): string {
  const label = `The ${call.name} result${argsLabel(call.args)}`;
  const text = typeof data === "string" ? shortText(data) : undefined;
  if (text !== undefined) return `${label}: ${text.replace(/\.$/, "")}.`;
  let record = asRecord(data);
  const entries = record ? Object.entries(record) : [];
  const only = entries.length === 1 ? asRecord(entries[0]![1]) : undefined;
  if (only) record = only;
  const echoed = new Set(Object.values(call.args).map((value) => String(value)));
  const facts: string[] = [];
  for (const [key, value] of Object.entries(record ?? {})) {
    const shown = scalar(value);
    if (shown === undefined || (typeof value === "string" && echoed.has(value))) continue;
    facts.push(`${key.replace(/[_-]+/g, " ")}: ${shown}`);
    if (facts.length === MAX_FACTS) break;
  }
  return facts.length > 0 ? `${label}: ${facts.join(", ")}.` : `${label} had no details to report.`;
}
