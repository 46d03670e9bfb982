import type { TurnCall } from "./offline-turn.js";

/** "a", "a and b", "a, b and c". */
export function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/**
 * A short reason in parentheses, when the denial gave a customer-facing one (`customer_reason`). The denial's
 * `message` is never quoted: it may hold a policy rule's operator reason or an approver's comment.
 */
export function reasonSuffix(outcome: { customerReason?: string }): string {
  const reason = (outcome.customerReason ?? "").trim().replace(/\.$/, "");
  return reason === "" || reason.length > 160 || reason.startsWith("{") ? "" : ` (${reason})`;
}

/** The latest call of a tool per key (a repeated call with the same key counts once), first-seen first. */
export function latestBy(calls: readonly TurnCall[], name: string, key: (call: TurnCall) => string): TurnCall[] {
  const latest = new Map<string, TurnCall>();
  for (const call of calls) if (call.name === name) latest.set(key(call), call);
  return [...latest.values()];
}

/** The sentence that hands the request to a person, naming what could not be done. */
export function escalationSentence(failures: readonly string[]): string {
  return `I could not ${joinList([...new Set(failures)])}, so I have escalated your request to a person on our team, who will follow up.`;
}
