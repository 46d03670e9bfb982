/**
 * Order ids as people type them, read into the one canonical form every tool and policy uses: one capital
 * letter, a dash and four digits (`A-1001`).
 *
 * Accepted in running text: `A-1001`, `a-1001`, `A1001`, `a1001`, `#A-1001`, a dash-like character instead of
 * the hyphen (`A–1001`), and `A 1001` with a space, but only after a capital letter: a lower-case letter, a space
 * and four digits is far more often an article and a number ("a 1000 dollar refund") than an order id.
 * The id must stand on its own: `XA1001` or `A-10012` are not order ids.
 */
const DASHES = "\\-\\u2010-\\u2015";
const NOT_BEFORE = "(?<![\\p{L}\\p{N}])";
const NOT_AFTER = "(?![\\p{L}\\p{N}])";
const IN_TEXT = new RegExp(`${NOT_BEFORE}(?:([A-Za-z])[${DASHES}]?|([A-Z]) )([0-9]{4})${NOT_AFTER}`, "gu");
// A whole value (an envelope's `context.order_id`): no article to confuse it with, so any case and a space pass.
const WHOLE = new RegExp(`^#?\\s*([A-Za-z])[${DASHES}\\s]?([0-9]{4})$`, "u");

/** The canonical form of the ids in `text`, each once, in the order they appear. */
export function findOrderIds(text: string): string[] {
  const ids = [...text.matchAll(IN_TEXT)].map((match) => `${(match[1] ?? match[2] ?? "").toUpperCase()}-${match[3]}`);
  return [...new Set(ids)];
}

/** The first order id in `text`, canonical, or undefined when it names none. */
export function findOrderId(text: string): string | undefined {
  return findOrderIds(text)[0];
}

/** `text` with every order id spelling removed (so its digits are not read as an amount). */
export function withoutOrderIds(text: string): string {
  return text.replace(IN_TEXT, " ");
}

/** The canonical form of a value that is one order id (`"a1001"` → `"A-1001"`), or undefined when it is not. */
export function normalizeOrderId(value: string): string | undefined {
  const match = WHOLE.exec(value.trim());
  return match ? `${match[1]!.toUpperCase()}-${match[2]}` : undefined;
}
