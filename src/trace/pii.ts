/**
 * Detectors for personal data and secrets in free text. The redactor replaces what they find; the run evaluator
 * (`evals/evaluate-run.ts`) uses the same detectors to prove that nothing slipped through. Keeping one list
 * means a pattern added here is both removed from traces and checked for.
 *
 * The patterns lean towards precision on the identifiers a business runtime handles all day (record ids like
 * `A-1001`, ISO dates, money amounts, hashes, UUIDs, epoch milliseconds): a false positive there would make
 * traces useless and the evaluator fail healthy runs.
 */
export type PiiKind = "email" | "phone" | "card" | "secret";

export interface PiiMatch {
  kind: PiiKind;
  /** The text that matched (only ever returned to the caller; never logged by Warden). */
  match: string;
}

/** Placeholders written by the redactor. Detectors never match them, so redacted text scans clean. */
export const PLACEHOLDERS = {
  email: "[email]",
  phone: "[phone]",
  card: "[card]",
  secret: "[secret]",
  field: "[redacted]",
} as const;

interface Detector {
  kind: PiiKind;
  pattern: RegExp;
  /** Rejects a candidate the regex cannot rule out by itself (Luhn, digit counts). */
  accept?: (match: string) => boolean;
  /** Replacement for an accepted match; default is the kind's placeholder. */
  replace?: (match: string, ...groups: string[]) => string;
}

/** Not glued to a word or to an identifier continuing with `-`, `.`, `/` (`ORD-555-1234`, `v1.555.123.4567`). */
const START = String.raw`(?<![\w+])(?<![\w][-./])`;
const END = String.raw`(?![\w])(?![-./:]\w)`;

/** `05-01-2024`, `2024-05-01`: a date followed by a time must not read as a national phone number. */
const DATE = /\b(?:\d{1,2}[-.]\d{1,2}[-.]\d{4}|\d{4}[-.]\d{1,2}[-.]\d{1,2})\b/;

const digitsOf = (text: string): string => text.replace(/\D/g, "");

/** Luhn checksum, the check digit every payment card number carries. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * A card number: 13–19 digits, Luhn-valid, starting with a major network's first digit (2–6: Mastercard 2-series,
 * Amex/Diners, Visa, Mastercard, Discover/UnionPay). The first-digit rule keeps epoch milliseconds (`17…`) and
 * most numeric ids out, which Luhn alone passes one time in ten.
 */
export function looksLikeCard(text: string): boolean {
  const digits = digitsOf(text);
  return digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits);
}

const NOT_PLACEHOLDER = String.raw`(?!\[(?:secret|redacted|email|phone|card)\])`;

/** Sequence matters: secrets first (they contain digits and `@`), then emails, cards, phones. */
const DETECTORS: Detector[] = [
  { kind: "secret", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g },
  // `Authorization: Bearer <token>`; the scheme word stays so the text still reads.
  {
    kind: "secret",
    pattern: /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
    replace: (_match, scheme) => `${scheme}${PLACEHOLDERS.secret}`,
  },
  // OpenAI-style (`sk-…`, `sk-proj-…`), Warden API keys (`wdn_…`), GitHub tokens, AWS access key ids, JWTs.
  { kind: "secret", pattern: /(?<![\w-])sk-[A-Za-z0-9_-]{16,}/g },
  { kind: "secret", pattern: /(?<![\w-])wdn_[A-Za-z0-9_-]{8,}/g },
  { kind: "secret", pattern: /(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g },
  { kind: "secret", pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g },
  { kind: "secret", pattern: /(?<![\w-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g },
  // `password=hunter2`, `api_key: abc`, `"client_secret":"abc"` (JSON inside a string): the key stays.
  {
    kind: "secret",
    pattern: new RegExp(
      String.raw`\b((?:password|passwd|pwd|passphrase|secret|client[_-]?secret|secret[_-]?key|api[_-]?key|` +
        String.raw`access[_-]?key|private[_-]?key|token|access[_-]?token|refresh[_-]?token|auth[_-]?token)` +
        String.raw`["']?\s*[:=]\s*["']?)${NOT_PLACEHOLDER}[^\s"'&,;}\]]+`,
      "gi",
    ),
    replace: (_match, prefix) => `${prefix}${PLACEHOLDERS.secret}`,
  },
  // `name@<digits>.md|json` is a versioned file (prompts/shop@2.md, policies/returns@1.json), not a mailbox;
  // numeric mail domains with real TLDs (x@163.com) still count.
  { kind: "email", pattern: /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?!\d+\.(?:md|json)\b)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g },
  // Cards: digit groups joined by single spaces or dashes (`4111 1111 1111 1111`, `4111-1111-1111-1111`).
  { kind: "card", pattern: new RegExp(`${START}\\d(?:[ -]?\\d){12,18}${END}`, "g"), accept: looksLikeCard },
  // International: `+44 20 7946 0958`, `+1 (555) 123-4567`, `+15551234567` (8–15 digits, E.164's range).
  {
    kind: "phone",
    pattern: new RegExp(`${START}\\+\\d(?:[ -]?(?:\\(\\d{1,4}\\)|\\d)){7,18}${END}`, "g"),
    accept: (match) => digitsOf(match).length >= 8 && digitsOf(match).length <= 15,
  },
  // North American: `(555) 123-4567`, `555-123-4567`, `555.123.4567`, `1-800-555-0199`.
  {
    kind: "phone",
    pattern: new RegExp(
      `${START}(?:1[ .-])?(?:\\(\\d{3}\\) ?|\\d{3}[ .-])\\d{3}[ .-]\\d{4}${END}`,
      "g",
    ),
  },
  // National formats with a trunk 0: `020 7946 0958`, `06 12 34 56 78`, `030-1234567` (9–12 digits).
  {
    kind: "phone",
    pattern: new RegExp(`${START}0\\d{1,4}(?:[ -]\\d{2,8}){1,4}${END}`, "g"),
    accept: (match) => digitsOf(match).length >= 9 && digitsOf(match).length <= 12 && !DATE.test(match),
  },
  // Local seven digits with a dash: `555-1234`.
  { kind: "phone", pattern: new RegExp(`${START}\\d{3}-\\d{4}${END}`, "g") },
];

function scan(text: string, found: PiiMatch[] | undefined): string {
  let out = text;
  for (const detector of DETECTORS) {
    detector.pattern.lastIndex = 0;
    out = out.replace(detector.pattern, (match: string, ...rest: unknown[]) => {
      if (detector.accept && !detector.accept(match)) return match;
      found?.push({ kind: detector.kind, match });
      const groups = rest.slice(0, -2).map((group) => (typeof group === "string" ? group : ""));
      return detector.replace ? detector.replace(match, ...groups) : PLACEHOLDERS[detector.kind];
    });
  }
  return out;
}

/**
 * Every piece of personal data or secret the detectors find in `text`, in detector sequence.
 * @example findPii("mail jane@example.com") // [{ kind: "email", match: "jane@example.com" }]
 */
export function findPii(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  scan(text, found);
  return found;
}

/** `text` with every detected item replaced by its placeholder (`[email]`, `[phone]`, `[card]`, `[secret]`). */
export function redactText(text: string): string {
  return scan(text, undefined);
}
