import type { PackDemo } from "../../kernel/pack-demo.js";

/** The demo's four scenarios over the seed (tenant acme); the summary counts the refunds each run issued. */
export const supportDemo: PackDemo = {
  scenarios: [
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
  ],
  effects: {
    label: "refunds",
    // Refunds the payment provider actually issued for the run: its rows keyed by the run's effect ledger ids.
    async count(db, run) {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM refunds r JOIN tool_effects e
           ON e.tenant_id = r.tenant_id AND e.effect_id = r.idempotency_key
         WHERE r.tenant_id = $1 AND e.run_id = $2`,
        [run.tenant, run.run_id],
      );
      return rows[0]?.n ?? 0;
    },
  },
};
