import { looksLikeCard, PLACEHOLDERS, redactText } from "./pii.js";

/** Redacts JSON-like values before they are stored, logged or exported (invariant 5). */
export interface Redactor {
  /** A deep copy of `value` with personal data and secrets replaced; the input is never modified. */
  redact<T>(value: T): T;
}

export interface RedactorOptions {
  /**
   * Extra object keys whose values are always replaced by `[redacted]`, compared case-insensitively
   * (e.g. `customer_email`, `ssn`). The runtime passes `WARDEN_REDACT_FIELDS` here.
   */
  fields?: string[];
}

/**
 * Words that make a key sensitive wherever they appear in it (`db_password`, `accessToken`, `x-api-key`,
 * `set-cookie`). Matching whole words keeps `gen_ai.usage.input_tokens` readable: "tokens" is not "token".
 */
const SENSITIVE_WORDS = new Set([
  "password",
  "passwd",
  "pwd",
  "passphrase",
  "secret",
  "token",
  "apikey",
  "authorization",
  "cookie",
  "credential",
  "credentials",
  "privatekey",
]);
/** Two-word spellings of the above (`api_key`, `apiKey`, `private-key`). */
const SENSITIVE_PAIRS = new Set(["api key", "private key"]);

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

function isSensitiveKey(key: string, fields: ReadonlySet<string>): boolean {
  if (fields.has(key.toLowerCase())) return true;
  const words = keyWords(key);
  for (let i = 0; i < words.length; i++) {
    if (SENSITIVE_WORDS.has(words[i]!)) return true;
    if (i > 0 && SENSITIVE_PAIRS.has(`${words[i - 1]} ${words[i]}`)) return true;
  }
  return false;
}

/**
 * Creates a redactor. Strings are scanned by the detectors in `pii.ts` (emails → `[email]`, phone numbers →
 * `[phone]`, Luhn-valid card numbers → `[card]`, API keys, tokens and `password=…` pairs → `[secret]`); the
 * values of sensitive keys (password, secret, token, api_key, authorization, cookie, … and `fields`) become
 * `[redacted]`; integers that are card numbers become `[card]`. The copy follows JSON semantics: `Date` →
 * ISO string, `toJSON()` is honoured, functions and symbols are dropped, cycles become `[circular]`,
 * errors keep `name` and a redacted `message`.
 *
 * @example
 * const { redact } = createRedactor({ fields: ["customer_email"] });
 * redact({ note: "call 555-123-4567", customer_email: "x" }); // { note: "call [phone]", customer_email: "[redacted]" }
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const fields = new Set((options.fields ?? []).map((field) => field.trim().toLowerCase()).filter(Boolean));

  const copy = (value: unknown, seen: Set<object>): unknown => {
    if (typeof value === "string") return redactText(value);
    if (typeof value === "number") return Number.isInteger(value) && looksLikeCard(String(value)) ? PLACEHOLDERS.card : value;
    if (typeof value === "bigint") return looksLikeCard(value.toString()) ? PLACEHOLDERS.card : value.toString();
    if (typeof value === "function" || typeof value === "symbol") return undefined;
    if (value === null || typeof value !== "object") return value;
    if (seen.has(value)) return "[circular]";
    seen.add(value);
    try {
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
      if (Array.isArray(value)) return value.map((item) => copy(item, seen) ?? null);
      const json = (value as { toJSON?: unknown }).toJSON;
      if (typeof json === "function") return copy(json.call(value), seen);
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        const redactedKey = redactText(key);
        if (item !== null && item !== undefined && isSensitiveKey(key, fields)) {
          out[redactedKey] = PLACEHOLDERS.field;
          continue;
        }
        const redacted = copy(item, seen);
        if (redacted !== undefined) out[redactedKey] = redacted;
      }
      return out;
    } finally {
      // Only ancestors count as cycles: the same object twice in siblings is copied twice, as JSON would.
      seen.delete(value);
    }
  };

  return {
    redact<T>(value: T): T {
      return copy(value, new Set()) as T;
    },
  };
}
