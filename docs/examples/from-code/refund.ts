import { createRuntime } from "warden";

const runtime = await createRuntime(); // env: DATABASE_URL, WARDEN_DATA_DIR, OPENAI_API_KEY, ... (.env.example)
const run = await runtime.start({ tenant: "acme", actor: "alice", roles: ["requester"], goal: "Refund order A-1001, it arrived chipped." });
// run.status === "waiting_approval", run.pending_approvals[0] = { approval_id, tool: "issue_refund", args, rule, reason, ... }
const approvalId = run.pending_approvals[0]!.approval_id;
const done = await runtime.decide({ tenant: "acme", approvalId, decision: "approve", approver: "bob", roles: ["approver"] });
// done.status === "completed", exactly one refund; runtime.getTrace("acme", done.run_id) returns the events
console.log(run.status, done.status, done.effects.map((effect) => `${effect.tool} ${effect.status}`).join(", "));
await runtime.close();
