/**
 * One Warden server process for the chaos suites (test/chaos-*.test.ts): a real `startServer` on DATABASE_URL with
 * the support tools, where `issue_refund` may SIGKILL its own process at the worst moment for money: right after the
 * provider's refund row was written inside the effect's transaction, before the ledger's completion commits. The
 * database then rolls back both; another worker must recover the run and issue the refund exactly once.
 *
 * Run with `node --import tsx test/helpers/chaos-worker.ts`; configured by the environment:
 * - everything `startServer` reads (DATABASE_URL, PORT=0, WARDEN_RUN_LEASE_MS, WARDEN_RUN_POLL_MS, ...);
 * - CHAOS_KILL_IN_EFFECT: probability (0..1) of dying inside an `issue_refund` effect (default 0);
 * - CHAOS_KILL_ORDERS: comma-separated order ids whose refund effect always kills (once each with CHAOS_KILL_MARKS);
 * - CHAOS_EFFECT_DELAY_MS: `min-max`, a pause inside the effect's transaction before the refund (holds runs in flight);
 * - CHAOS_KILL_MARKS: a directory; when set, an order's effect kills at most one process (a file per order marks it),
 *   so every run makes progress after its crash.
 * Logs as JSON lines on stdout; "warden listening" carries the `url`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "../../src/server/serve.js";
import { defineTool } from "../../src/tools/define-tool.js";
import { issueRefund, supportTools } from "../../src/packs/support/tools/index.js";
import type { ToolDefinition } from "../../src/tools/types.js";

const killProbability = Number(process.env.CHAOS_KILL_IN_EFFECT ?? "0");
const killOrders = new Set((process.env.CHAOS_KILL_ORDERS ?? "").split(",").filter(Boolean));
const marks = process.env.CHAOS_KILL_MARKS;
const [delayMin = 0, delayMax = delayMin] = (process.env.CHAOS_EFFECT_DELAY_MS ?? "0").split("-").map(Number);
if (marks) mkdirSync(marks, { recursive: true });

/** True the first time an order's effect is picked to die (with CHAOS_KILL_MARKS), or on every pick without it. */
function firstKillOf(orderId: string): boolean {
  if (!marks) return true;
  try {
    writeFileSync(join(marks, orderId), String(process.pid), { flag: "wx" });
    return true;
  } catch {
    return false;
  }
}

const crashingRefund: ToolDefinition = defineTool({
  ...issueRefund,
  async execute(input, ctx) {
    if (delayMax > 0) await new Promise((resolve) => setTimeout(resolve, delayMin + Math.random() * (delayMax - delayMin)));
    const output = await issueRefund.execute(input, ctx);
    // The refund row exists in the effect's open transaction; the ledger row is still `started`.
    const { order_id: orderId } = input as { order_id: string };
    const picked = killOrders.has(orderId) || (killProbability > 0 && Math.random() < killProbability);
    if (picked && firstKillOf(orderId)) {
      process.stdout.write(`${JSON.stringify({ msg: "chaos: killed inside the refund effect", order_id: orderId, pid: process.pid })}\n`);
      process.kill(process.pid, "SIGKILL");
      await new Promise(() => {}); // never returns: the signal ends the process
    }
    return output;
  },
});

const tools = supportTools.map((tool) => (tool.name === issueRefund.name ? crashingRefund : tool));

const server = await startServer({
  env: process.env,
  logger: { level: process.env.CHAOS_LOG_LEVEL ?? "info" },
  runtime: { tools, drainTimeoutMs: 2000 },
  shutdownTimeoutMs: 2000,
});

let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  void server.close().finally(() => process.exit(0));
});
