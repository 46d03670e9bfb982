import type { RunEnvelope } from "../runtime/envelope.js";

/** The demo's four scenarios over the seed (tenant acme). Each may name an approver who decides the refund. */
export interface DemoScenario {
  id: string;
  title: string;
  envelope: RunEnvelope;
  approver?: { actor: string; roles: string[]; decision: "approve" | "reject" };
  /** Consent to long-term memory the subject gave before this run (recorded by `actor`). */
  consent?: { subject: string; actor: string };
}

export const DEMO_SCENARIOS: DemoScenario[] = [
  {
    id: "refund-approved",
    title: "A refund policy allows: it waits for a second person, who approves, and it is issued once",
    envelope: { tenant: "acme", actor: "alice", roles: ["requester"], goal: "Refund order A-1001, the mug arrived chipped.", subject: "cust-jane" },
    approver: { actor: "bob", roles: ["approver"], decision: "approve" },
    consent: { subject: "cust-jane", actor: "alice" },
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
  {
    id: "memory",
    title: "The same customer comes back: the run reads what consented memory holds and stores a new preference",
    envelope: { tenant: "acme", actor: "alice", roles: ["requester"], goal: "Where is my order A-1001? I prefer email over phone calls.", subject: "cust-jane" },
  },
];
