import type { OfflineTools, PlannedCall, Turn } from "../../../model/index.js";
import { composeCustomerMessage, foundOrders, policyLine } from "./answer.js";
import { asksAboutRefundPolicy, asksToMessageCustomer, extractOrderIds, statedPreference } from "./intents.js";

/**
 * The support tool calls the offline model makes next: look up the orders the goal names, read the refund
 * policy when the goal is about refunds, note a stated preference, and message the customer only when asked,
 * from the facts found. Each call at most once a turn (so a failing or denied tool is never retried in a loop),
 * and `issue_refund` never: refunds go through the deterministic workflow.
 */
export function planSupportCalls(turn: Turn, tools: OfflineTools): PlannedCall[] {
  const called = (name: string, matches: (args: Record<string, unknown>) => boolean = () => true) =>
    turn.calls.some((call) => call.name === name && matches(call.args));
  const denied = new Set(turn.calls.filter((call) => call.outcome?.kind === "denied").map((call) => call.name));
  const usable = (name: string) => tools.has(name) && !denied.has(name);

  // Independent lookups go out together, as a parallel-tool-calling model would send them.
  const lookups: PlannedCall[] = [];
  if (usable("lookup_order")) {
    for (const orderId of extractOrderIds(turn.goal)) {
      if (!called("lookup_order", (args) => args.order_id === orderId)) lookups.push({ name: "lookup_order", args: { order_id: orderId } });
    }
  }
  if (usable("read_policy") && asksAboutRefundPolicy(turn.goal) && !called("read_policy")) {
    lookups.push({ name: "read_policy", args: {} });
  }
  const preference = statedPreference(turn.goal);
  if (usable("remember") && preference !== undefined && !called("remember")) {
    lookups.push({ name: "remember", args: { kind: "preference", content: preference } });
  }
  if (lookups.length > 0) return lookups;

  // A message is composed from the facts, so it waits until every lookup has answered.
  const pending = turn.calls.some((call) => call.outcome === undefined);
  if (usable("send_message") && asksToMessageCustomer(turn.goal) && !called("send_message") && !pending) {
    const orders = foundOrders(turn);
    const to = orders.find((order) => order.email !== undefined)?.email;
    if (to !== undefined) {
      const { subject, body } = composeCustomerMessage(
        orders.filter((order) => order.email === to),
        policyLine(turn),
      );
      return [{ name: "send_message", args: { to, subject, body } }];
    }
  }
  return [];
}
