/**
 * Reads the facts the offline model may state from the support tools' results. Tolerant of shapes (`total` in units or
 * `total_cents`, a result wrapped in `{ order }`), and reads only named fields: free text such as an order's
 * note is customer data, never something the model repeats or obeys.
 */

export interface OrderFacts {
  orderId: string;
  found: boolean;
  status?: string;
  /** Formatted, e.g. "$42.00". */
  total?: string;
  deliveredDaysAgo?: number;
  email?: string;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function formatMoney(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(amount);
  } catch {
    // An unknown currency code: Intl throws rather than guessing, so print the code.
    return `${amount.toFixed(2)} ${currency}`;
  }
}

/** Order facts from a `lookup_order` result; `found: false` when the result says there is no such order. */
export function readOrderFacts(orderId: string, data: unknown): OrderFacts {
  const outer = asRecord(data);
  const order = asRecord(outer?.order) ?? (outer && "order" in outer ? undefined : outer);
  if (order === undefined || outer?.found === false) return { orderId, found: false };
  const currency = typeof order.currency === "string" ? order.currency : "USD";
  const total =
    typeof order.total === "number"
      ? formatMoney(order.total, currency)
      : typeof order.total_cents === "number"
        ? formatMoney(order.total_cents / 100, currency)
        : undefined;
  const days = order.delivered_days_ago ?? order.age_days ?? order.days_since_delivery;
  const email = order.customer_email ?? order.email;
  return {
    orderId: typeof order.order_id === "string" ? order.order_id : orderId,
    found: true,
    ...(typeof order.status === "string" ? { status: order.status } : {}),
    ...(total === undefined ? {} : { total }),
    ...(typeof days === "number" ? { deliveredDaysAgo: days } : {}),
    ...(typeof email === "string" ? { email } : {}),
  };
}

/** "is delivered (delivered 5 days ago) and its total is $42.00": the order facts as one clause. */
export function describeOrder(order: OrderFacts): string {
  const parts: string[] = [];
  if (order.status !== undefined) {
    const age =
      order.deliveredDaysAgo === undefined
        ? ""
        : ` (delivered ${order.deliveredDaysAgo} day${order.deliveredDaysAgo === 1 ? "" : "s"} ago)`;
    parts.push(`is ${order.status}${age}`);
  }
  if (order.total !== undefined) {
    parts.push(parts.length > 0 ? `and its total is ${order.total}` : `has a total of ${order.total}`);
  }
  return parts.length > 0 ? parts.join(" ") : "was found";
}

function firstSentence(text: string): string {
  // Markdown headings are titles, not statements: skip them.
  const flat = text.replace(/^#+ .*$/gm, "").replace(/\s+/g, " ").trim();
  const end = flat.search(/[.!?](\s|$)/);
  const sentence = end === -1 ? flat : flat.slice(0, end + 1);
  return sentence.length > 240 ? `${sentence.slice(0, 237)}...` : sentence;
}

/** One line of the policy from a `read_policy` result (its summary, or the first sentence of its text). */
export function summarizePolicy(data: unknown): string | undefined {
  if (typeof data === "string") return data.trim() === "" ? undefined : firstSentence(data);
  const record = asRecord(data);
  if (record === undefined) return undefined;
  for (const key of ["summary", "text", "policy", "content", "body"]) {
    const value = record[key];
    if (typeof value === "string" && value.trim() !== "") return firstSentence(value);
    if (asRecord(value)) return summarizePolicy(value);
  }
  const rules = record.rules ?? record.sections;
  if (Array.isArray(rules) && rules.length > 0) return summarizePolicy(rules[0]);
  return undefined;
}
