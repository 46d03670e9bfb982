import type { BoundToolInfo } from "./bound-tools.js";

/** Verbs tool names start with: "check_stock" is mentioned by "stock", not by "check". */
const GENERIC_VERBS = new Set([
  "check", "describe", "fetch", "find", "get", "list", "load", "look", "lookup", "query", "read", "retrieve", "search", "show", "view",
]);

/** Description words too common to say what a tool is about. */
const COMMON_WORDS = new Set([
  "about", "after", "before", "being", "could", "every", "given", "other", "returns", "should", "their", "there", "these",
  "those", "where", "which", "whether", "while", "would", "tools", "using", "value", "values",
]);

/** Lower-case words, a plural `s`/`ies` folded away so "stocks" mentions "stock". */
function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).map((word) =>
    word.length > 4 && word.endsWith("ies") ? `${word.slice(0, -3)}y` : word.length > 3 && /[^s]s$/.test(word) ? word.slice(0, -1) : word,
  );
}

/**
 * Does the goal mention the tool? Yes when it names every word of the tool's name other than a leading verb
 * ("Is SKU-42 in stock?" mentions `check_stock`), or at least two distinct content words of its description.
 * Plain word matching on purpose: the offline model must be predictable.
 */
export function goalMentionsTool(goal: string, tool: BoundToolInfo): boolean {
  const said = new Set(words(goal));
  const nameWords = words(tool.name.replace(/_/g, " "));
  const nouns = nameWords.filter((word) => !GENERIC_VERBS.has(word));
  const key = nouns.length > 0 ? nouns : nameWords;
  if (key.length > 0 && key.every((word) => said.has(word))) return true;
  const keywords = new Set(words(tool.description ?? "").filter((word) => word.length >= 5 && !COMMON_WORDS.has(word)));
  let hits = 0;
  for (const word of keywords) if (said.has(word)) hits += 1;
  return hits >= 2;
}
