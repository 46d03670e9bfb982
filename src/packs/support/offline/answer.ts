import { joinList, latestBy, reasonSuffix, type OfflineAnswerParts, type OfflineTools, type Turn, type TurnCall } from "../../../model/index.js";
import { asksForRefund, asksToMessageCustomer } from "./intents.js";
import { describeOrder, readOrderFacts, summarizePolicy, type OrderFacts } from "./order-facts.js";

/** The offline model's reply when there is nothing it can look up. */
export const SUPPORT_FALLBACK =
  "I can help with your orders and our refund policy. Please tell me your order id (it looks like A-1234) and what you need.";

function orderIdOf(call: TurnCall): string {
  return typeof call.args.order_id === "string" ? call.args.order_id : "";
}

/** Orders successfully looked up in this turn. */
export function foundOrders(turn: Turn): OrderFacts[] {
  return latestBy(turn.calls, "lookup_order", orderIdOf)
    .map((call) => (call.outcome?.kind === "ok" ? readOrderFacts(orderIdOf(call), call.outcome.data) : undefined))
    .filter((order): order is OrderFacts => order?.found === true);
}

/** The policy line from this turn's `read_policy` result, if it succeeded. */
export function policyLine(turn: Turn): string | undefined {
  const call = latestBy(turn.calls, "read_policy", () => "").at(0);
  return call?.outcome?.kind === "ok" ? summarizePolicy(call.outcome.data) : undefined;
}

/** Subject and body of a customer message, composed only from looked-up facts. */
export function composeCustomerMessage(orders: OrderFacts[], policy: string | undefined): { subject: string; body: string } {
  const ids = orders.map((order) => order.orderId);
  const lines = ["Hello,", ""];
  for (const order of orders) lines.push(`Here is an update on your order ${order.orderId}: it ${describeOrder(order)}.`);
  if (policy !== undefined) lines.push(`Our refund policy: ${policy}`);
  lines.push("", "Kind regards,", "Customer support");
  return { subject: ids.length > 0 ? `Update on your order ${joinList(ids)}` : "Update from customer support", body: lines.join("\n") };
}

/**
 * The support part of the final answer, from tool results only: the orders, the policy, what the model cannot
 * do itself (refunds), the customer message and a noted preference. Failures go to the core's one escalation
 * sentence; denials are reported but not escalated (a person already decided).
 */
export function supportAnswer(turn: Turn, tools: OfflineTools): OfflineAnswerParts {
  const sentences: string[] = [];
  const failures: string[] = [];

  for (const call of latestBy(turn.calls, "lookup_order", orderIdOf)) {
    const orderId = orderIdOf(call);
    const outcome = call.outcome;
    if (outcome?.kind === "ok") {
      const order = readOrderFacts(orderId, outcome.data);
      sentences.push(
        order.found ? `Order ${order.orderId} ${describeOrder(order)}.` : `I could not find order ${orderId}; please check the order id.`,
      );
    } else if (outcome?.kind === "denied") {
      sentences.push(`I was not allowed to look up order ${orderId}${reasonSuffix(outcome)}.`);
    } else {
      failures.push(`look up order ${orderId}`);
    }
  }

  const policyCall = latestBy(turn.calls, "read_policy", () => "").at(0);
  if (policyCall?.outcome?.kind === "ok") {
    const summary = summarizePolicy(policyCall.outcome.data);
    sentences.push(summary === undefined ? "I checked our refund policy." : `Our refund policy: ${summary}`);
  } else if (policyCall?.outcome?.kind === "denied") {
    sentences.push(`I was not allowed to read the refund policy${reasonSuffix(policyCall.outcome)}.`);
  } else if (policyCall !== undefined) {
    failures.push("read the refund policy");
  }

  if (asksForRefund(turn.goal)) {
    sentences.push("I cannot issue refunds myself: refund requests go through our refund process, where a person reviews them.");
  }

  const messageCall = latestBy(turn.calls, "send_message", () => "").at(0);
  if (messageCall?.outcome?.kind === "ok") {
    sentences.push("I sent the customer a message with these details.");
  } else if (messageCall?.outcome?.kind === "denied") {
    sentences.push(`Sending the message to the customer was not allowed${reasonSuffix(messageCall.outcome)}, so it was not sent.`);
  } else if (messageCall !== undefined) {
    failures.push("send the message to the customer");
  } else if (asksToMessageCustomer(turn.goal)) {
    sentences.push(
      tools.has("send_message")
        ? "I could not message the customer because I found no email address for them."
        : "I cannot send messages to customers from here.",
    );
  }

  const rememberCall = latestBy(turn.calls, "remember", () => "").at(0);
  if (rememberCall?.outcome?.kind === "ok") {
    sentences.push("I have noted your preference for future conversations; it is kept only if you agreed to us remembering it.");
  }
  return { sentences, failures };
}
