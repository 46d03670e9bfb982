/**
 * Fills a tool's required arguments from the goal, using only what its JSON schema says: a string field with a
 * `pattern` takes the goal's matches, an enum field the one value the goal names, a `const` its value, and the
 * single required string field of a tool an id-like token (letters and digits, e.g. `SKU-42`). Anything else
 * (free text, numbers, objects) cannot be read from a goal reliably, so such a tool is not called.
 */

interface PropertySchema {
  type?: string | string[];
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
}

/** At most this many calls of one tool per turn (one per value the goal names). */
const MAX_CALLS_PER_TOOL = 5;
const EDGE = { before: "(?<![\\p{L}\\p{N}])", after: "(?![\\p{L}\\p{N}])" };
/** Tokens such as `SKU-42`, `A1001` or `inv_2024_7`, pieces joined by `-`, `_`, `.` or `/`. */
const TOKEN = /[\p{L}\p{N}]+(?:[-_./][\p{L}\p{N}]+)*/gu;

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function isString(schema: PropertySchema): boolean {
  return schema.type === "string" || (Array.isArray(schema.type) && schema.type.includes("string"));
}

function fitsLength(value: string, schema: PropertySchema): boolean {
  return value.length >= (schema.minLength ?? 0) && value.length <= (schema.maxLength ?? Number.POSITIVE_INFINITY);
}

function compile(source: string, flags: string): RegExp | undefined {
  try {
    return new RegExp(source, flags);
  } catch {
    return undefined;
  }
}

/** Values in the goal that match `pattern` as whole tokens; the schema anchors (`^…$`) are dropped to search. */
function patternMatches(goal: string, pattern: string): string[] {
  const whole = compile(pattern, "u") ?? compile(pattern, "");
  const inner = pattern.replace(/^\^/, "").replace(/(?<!\\)\$$/, "");
  const search = compile(`${EDGE.before}(?:${inner})${EDGE.after}`, "gu") ?? compile(`(?<![A-Za-z0-9])(?:${inner})(?![A-Za-z0-9])`, "g");
  if (whole === undefined || search === undefined) return [];
  return [...goal.matchAll(search)].map((match) => match[0]).filter((value) => value !== "" && whole.test(value));
}

function enumMatch(goal: string, values: unknown[]): string[] {
  const named = values.filter((value): value is string => {
    if (typeof value !== "string" || value.trim() === "") return false;
    const spelled = value.split(/[_\s-]+/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[\\s_-]+");
    return compile(`${EDGE.before}${spelled}${EDGE.after}`, "iu")?.test(goal) === true;
  });
  // Two values named: the goal is ambiguous, so the field cannot be filled.
  return named.length === 1 ? named : [];
}

function idLikeTokens(goal: string): string[] {
  return (goal.match(TOKEN) ?? []).filter((token) => /\p{L}/u.test(token) && /\p{N}/u.test(token));
}

function candidates(goal: string, schema: PropertySchema, onlyField: boolean): unknown[] {
  if (schema.const !== undefined) return [schema.const];
  if (Array.isArray(schema.enum)) return enumMatch(goal, schema.enum);
  if (!isString(schema)) return [];
  const found = typeof schema.pattern === "string" ? patternMatches(goal, schema.pattern) : onlyField ? idLikeTokens(goal) : [];
  return [...new Set(found)].filter((value) => fitsLength(value, schema));
}

/**
 * The argument sets to call the tool with (one per value the goal names for a field with several), or
 * undefined when a required argument cannot be filled. Optional arguments are left out.
 *
 * @example
 * fillArguments("Is SKU-42 in stock?", { type: "object", properties: { sku: { type: "string", pattern: "^SKU-\\d+$" } }, required: ["sku"] });
 * // [{ sku: "SKU-42" }]
 */
export function fillArguments(goal: string, parameters: unknown): Array<Record<string, unknown>> | undefined {
  const schema = asRecord(parameters) ?? {};
  const properties = asRecord(schema.properties) ?? {};
  const required = Array.isArray(schema.required) ? schema.required.filter((key): key is string => typeof key === "string") : [];
  const values = new Map<string, unknown[]>();
  for (const key of required) {
    const found = candidates(goal, (asRecord(properties[key]) ?? {}) as PropertySchema, required.length === 1);
    if (found.length === 0) return undefined;
    values.set(key, found);
  }
  const base = Object.fromEntries([...values].map(([key, found]) => [key, found[0]]));
  // One field naming several values (two SKUs) means one call each; with more than one such field, the first values.
  const several = [...values].filter(([, found]) => found.length > 1);
  if (several.length !== 1) return [base];
  const [key, found] = several[0]!;
  return found.slice(0, MAX_CALLS_PER_TOOL).map((value) => ({ ...base, [key]: value }));
}
