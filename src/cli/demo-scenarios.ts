import type { RunEnvelope } from "../runtime/envelope.js";

/** The demo's three scenarios over the seed (tenant acme). Each may name an approver who decides the refund. */
export interface DemoScenario {
  id: string;
  title: string;
  envelope: RunEnvelope;
  approver?: { actor: string; roles: string[]; decision: "approve" | "reject" };
}

export const DEMO_SCENARIOS: DemoScenario[] = [
  {
    id: "refund-approved",
    title: "A refund policy allows: it waits for a second person, who approves, and it is issued once",
    envelope: { tenant: "acme", actor: "alice", roles: ["requester"], goal: "Refund order A-1001, the mug arrived chipped." },
    approver: { actor: "bob", roles: ["approver"], decision: "approve" },
  },
  {
    id: "refund-denied",
    title: "A refund policy denies (over acme's 500.00 cap): an explanation is drafted, nothing is refunded",
    envelope: {
      tenant: "acme",
      actor: "alice",
      roles: ["requester"],
      goal: "Please refund the espresso machine.",
      context: { order_id: "A-1003", amount: 900 },
    },
  },
  {
    id: "support-question",
    title: "An open-ended question goes through the agent: it reads the order and the policy, then answers",
    envelope: { tenant: "acme", actor: "alice", roles: ["requester"], goal: "Where is my order A-1002, and can I still return it?" },
  },
];
