import { describe, expect, it } from "vitest";
import { extractOrderIds } from "../../src/packs/support/offline/intents.js";
import { chooseRoute } from "../../src/packs/support/router/choose-route.js";
import { parseRefundRequest } from "../../src/packs/support/workflow/steps/parse-refund-request.js";
import { findOrderIds, normalizeOrderId } from "../../src/packs/support/text/order-id.js";
import { isOpenQuestion, readRefundGoal } from "../../src/packs/support/router/refund-request.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, requester, runtimeOn } from "../helpers/runtime.js";

/** The order-id spellings people type, from the canonical `T-0001`. */
const spell = {
  canonical: (id: string) => id,
  lower: (id: string) => id.toLowerCase(),
  compact: (id: string) => id.replace("-", ""),
  lowerCompact: (id: string) => id.replace("-", "").toLowerCase(),
  spaced: (id: string) => id.replace("-", " "),
  hash: (id: string) => `#${id}`,
};

/** Refund requests in many phrasings and spellings: each must reach the refund workflow. */
const REQUESTS: Array<[string, (id: string) => string]> = [
  ["a polite could-you with a question mark", (id) => `Could you refund order ${id}? It arrived chipped.`],
  ["lower-case, no order word", (id) => `refund ${spell.lower(id)}`],
  ["the id first, no dash", (id) => `${spell.compact(id)} refund please`],
  ["the verb first, no dash", (id) => `Refund ${spell.compact(id)}`],
  ["money back", (id) => `I want my money back for ${id}`],
  ["a # before the id", (id) => `Please refund order ${spell.hash(id)}, the mug is broken.`],
  ["reimburse, with a space in the id", (id) => `Can you reimburse me for order ${spell.spaced(id)}?`],
  ["I'd like", (id) => `I'd like a refund for ${id}.`],
  ["today's form", (id) => `Refund order ${id}, the mug arrived chipped.`],
  ["all capitals", (id) => `REFUND ORDER ${id}`],
  ["I need, lower-case without a dash", (id) => `I need a refund on ${spell.lowerCompact(id)} — wrong item`],
];

/** Open-ended questions (about orders, refunds, eligibility): each must go to the agent. */
const QUESTIONS = [
  "Where is my order A-1002, and can I still return it?",
  "How do refunds work?",
  "What is your refund policy for A-1002?",
  "Can I still get a refund for A-1002? It was delivered a while ago.",
  "Am I eligible for a refund on A-1002?",
  "Is it possible to get my money back for a1002?",
  "Tell me if I can get a refund for A-1002.",
  "Did you refund me?",
  "Why hasn't my refund for A-1002 arrived?",
];

describe("order ids in the spellings people type", () => {
  it("reads every accepted spelling into the canonical form, each id once", () => {
    expect(findOrderIds("A-1001 a-1002 A1003 a1004 #A-1005 A 1006 A–1007 A-1001")).toEqual(["A-1001", "A-1002", "A-1003", "A-1004", "A-1005", "A-1006", "A-1007"]);
  });

  it("does not read an article and a number, a longer number or an id inside a word as an order id", () => {
    expect(findOrderIds("a 1000 dollar refund")).toEqual([]);
    expect(findOrderIds("A-10012, XA1001, A1001B, 2024")).toEqual([]);
  });

  it("normalises a whole value such as the envelope's context.order_id, and refuses anything else", () => {
    expect(["A-1001", "a1001", "a 1001", "#A-1001", " a-1001 "].map(normalizeOrderId)).toEqual(Array(5).fill("A-1001"));
    expect(normalizeOrderId("nonsense")).toBeUndefined();
    expect(normalizeOrderId("A-1001 and A-1002")).toBeUndefined();
  });

  it("the offline model looks up the same orders the router reads", () => {
    expect(extractOrderIds("Where is my order a1001? And #b-2002?")).toEqual(["A-1001", "B-2002"]);
  });
});

describe("what counts as a refund request", () => {
  it("a polite imperative is a request, asking about one's own options is a question", () => {
    expect(isOpenQuestion("Could you refund order A-1001?")).toBe(false);
    expect(isOpenQuestion("Would you please reimburse me for A-1001?")).toBe(false);
    expect(isOpenQuestion("Refund A-1001?")).toBe(false);
    expect(isOpenQuestion("Can I still get a refund for A-1001?")).toBe(true);
    expect(isOpenQuestion("Could you tell me whether A-1001 can be refunded?")).toBe(true);
    expect(isOpenQuestion("What is your refund policy?")).toBe(true);
  });

  it("a negated or noun-only mention of refunds does not ask for one", () => {
    expect(readRefundGoal("I don't want a refund for A-1001, just a replacement.").asksForRefund).toBe(false);
    expect(readRefundGoal("Please do not refund A-1001.").asksForRefund).toBe(false);
    expect(readRefundGoal("Send me your refund policy for A-1001.").asksForRefund).toBe(false);
    expect(readRefundGoal("Check the refund status of A-1001.").asksForRefund).toBe(false);
  });
});

describe("chooseRoute", () => {
  it.each(REQUESTS)("sends a refund request to the workflow: %s", (_, phrase) => {
    expect(chooseRoute(phrase("A-1001"), undefined)).toEqual({ route: "refund_workflow", reason: "goal asks to refund a named order" });
  });

  it.each([
    "Could you refund order A-1001? It arrived chipped.",
    "refund a-1001",
    "A1001 refund please",
    "Refund A1001",
    "I want my money back for A-1001",
    "Please refund order #A-1001, the mug is broken.",
    "Can you reimburse me for order A 1001?",
    "I'd like a refund for A-1001.",
    "Refund order A-1001, the mug arrived chipped.",
    "REFUND ORDER A-1001",
    "I need a refund on a1001 — wrong item",
  ])("the workflow reads the canonical order id from %j", (goal) => {
    expect(chooseRoute(goal, undefined).route).toBe("refund_workflow");
    expect(parseRefundRequest(goal, undefined)).toMatchObject({ order_id: "A-1001", amount: undefined });
  });

  it.each(QUESTIONS)("sends an open-ended question to the agent: %j", (goal) => {
    expect(chooseRoute(goal, undefined)).toEqual({ route: "support_agent", reason: "open-ended request" });
  });

  it("a refund request without an order id, or a negated one, goes to the agent", () => {
    expect(chooseRoute("Please refund the espresso machine.", undefined).route).toBe("support_agent");
    expect(chooseRoute("I don't want my money back for A-1001, send a new one.", undefined).route).toBe("support_agent");
  });

  it("a context that names the order routes as before, and its id is normalised for the workflow", () => {
    expect(chooseRoute("Please refund this order.", { order_id: "a1001" }).route).toBe("refund_workflow");
    expect(parseRefundRequest("Please refund this order.", { order_id: "a1001", amount: 12 })).toMatchObject({ order_id: "A-1001", amount: 12 });
    // Not an order id: kept as given, so validation escalates it by name instead of guessing.
    expect(parseRefundRequest("Refund my order please", { order_id: "nonsense" }).order_id).toBe("nonsense");
  });

  it("an amount is still read from the goal, never from the digits of an id in any spelling", () => {
    expect(parseRefundRequest("Refund $12.50 for order a1001", undefined)).toMatchObject({ order_id: "A-1001", amount: 12.5 });
    expect(parseRefundRequest("I want a refund for A 1001", undefined).amount).toBeUndefined();
  });
});

const suites = onBackends();

describe.each(suites)("refund phrasings end to end on $name", ({ it }) => {
  it.for(REQUESTS)("%s: the workflow asks approval for a refund of the canonical order id", async ([, phrase], { store, runtime }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const record = await runtime.start({ ...requester, goal: phrase(orderId) });
    expect(record.route).toBe("refund_workflow");
    expect(record.status).toBe("waiting_approval");
    expect(record.pending_approvals).toHaveLength(1);
    expect(record.pending_approvals[0]).toMatchObject({ tool: "issue_refund", args: { order_id: orderId, amount: 42 } });
  });

  it("a context order id in another spelling is refunded under its canonical id", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const record = await runtime.start({ ...requester, goal: "Please refund this order.", context: { order_id: spell.lowerCompact(orderId) } });
    expect(record.status).toBe("waiting_approval");
    expect(record.pending_approvals[0]?.args).toMatchObject({ order_id: orderId });
  });

  it("the agent finds an order typed in lower case without a dash", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db, { total: 42 });
    const record = await runtime.start({ ...requester, goal: `Where is my order ${spell.lowerCompact(orderId)}?` });
    expect(record.route).toBe("support_agent");
    expect(record.status).toBe("completed");
    expect(record.answer).toContain(orderId);
    const events = await runtime.getTrace("acme", record.run_id);
    const lookup = events.find((event) => event.kind === "tool.call" && event.attributes["gen_ai.tool.name"] === "lookup_order");
    expect(lookup?.attributes.status).toBe("ok");
  });
});
