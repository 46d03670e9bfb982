import { createRuntime, type Runtime } from "../runtime/create-runtime.js";
import type { RunRecord } from "../runs/run-record.js";
import { DEMO_SCENARIOS, type DemoScenario } from "./demo-scenarios.js";
import { formatEvent } from "./format-event.js";

export interface DemoResult {
  scenario: string;
  run_id: string;
  route: string | null;
  status: string;
  /** Refunds the payment provider actually issued for this run. */
  effects: number;
  event_kinds: string[];
  eval: "pass" | "fail";
  answer: string | undefined;
}

async function refundsIssued(runtime: Runtime, record: RunRecord): Promise<number> {
  const { rows } = await runtime.store.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM refunds r JOIN tool_effects e
       ON e.tenant_id = r.tenant_id AND e.effect_id = r.idempotency_key
     WHERE r.tenant_id = $1 AND e.run_id = $2`,
    [record.tenant, record.run_id],
  );
  return rows[0]?.n ?? 0;
}

async function playScenario(runtime: Runtime, scenario: DemoScenario, print: (line: string) => void): Promise<DemoResult> {
  let seen = 0;
  const showNewEvents = async (record: RunRecord) => {
    const events = await runtime.getTrace(record.tenant, record.run_id, seen);
    for (const event of events) print(formatEvent(event));
    seen = events.at(-1)?.seq ?? seen;
  };
  const { envelope } = scenario;
  print(`\n== ${scenario.id}: ${scenario.title}`);
  print(`   ${envelope.actor}@${envelope.tenant} (${envelope.roles.join(",")}) asks: "${envelope.goal}"${envelope.context ? ` ${JSON.stringify(envelope.context)}` : ""}`);
  if (scenario.consent) {
    await runtime.memory.setConsent(envelope.tenant, scenario.consent.subject, true, { actor: scenario.consent.actor, roles: envelope.roles });
    print(`   ✓  ${scenario.consent.subject} consented to long-term memory (recorded by ${scenario.consent.actor})`);
  }
  let record = await runtime.start(envelope);
  await showNewEvents(record);
  for (const pending of record.pending_approvals) {
    print(`   ⏸  ${record.status}: ${pending.tool} ${JSON.stringify(pending.args)} — ${pending.reason} [${pending.rule}]`);
  }
  if (record.status === "waiting_approval" && scenario.approver) {
    const approval = record.pending_approvals[0]!;
    print(`   ▶  ${scenario.approver.actor}@${envelope.tenant} (${scenario.approver.roles.join(",")}) ${scenario.approver.decision}s ${approval.approval_id}`);
    record = await runtime.decide({
      tenant: envelope.tenant,
      approvalId: approval.approval_id,
      decision: scenario.approver.decision,
      approver: scenario.approver.actor,
      roles: scenario.approver.roles,
      argsHash: approval.args_hash,
    });
    await showNewEvents(record);
  }
  const events = await runtime.getTrace(record.tenant, record.run_id);
  const verdict = events.find((event) => event.kind === "eval.result" && event.attributes.evaluator === "run_verdict");
  const result: DemoResult = {
    scenario: scenario.id,
    run_id: record.run_id,
    route: record.route,
    status: record.status,
    effects: await refundsIssued(runtime, record),
    event_kinds: [...new Set(events.map((event) => event.kind))],
    eval: verdict?.attributes.pass === true ? "pass" : "fail",
    answer: record.answer,
  };
  print(`   ⇒ ${record.status}. Answer:`);
  for (const line of (record.answer ?? "(none)").split("\n")) print(`     ${line}`);
  return result;
}

function summaryTable(results: DemoResult[]): string {
  const header = ["scenario", "route", "status", "refunds", "eval"];
  const rows = results.map((result) => [result.scenario, result.route ?? "-", result.status, String(result.effects), result.eval]);
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join("  ");
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

/**
 * `npm run demo`: the seed's scenarios on an embedded, in-memory PGlite with the offline model (no env,
 * no server). `--json` prints one JSON object per scenario instead of the narrated run.
 */
export async function runDemo(options: { json: boolean; env?: Record<string, string | undefined> }): Promise<DemoResult[]> {
  const env = { ...(options.env ?? process.env) };
  // The demo never touches a real server or a persistent data dir unless told to.
  if (!env.WARDEN_DEMO_USE_ENV) {
    delete env.DATABASE_URL;
    delete env.OPENAI_API_KEY;
    env.WARDEN_DATA_DIR = "memory://";
  }
  const print = options.json ? () => {} : (line: string) => console.log(line);
  print("Warden demo: embedded PGlite (in memory), offline model, release support@1, tenant acme");
  const runtime = await createRuntime({ env });
  try {
    const results: DemoResult[] = [];
    for (const scenario of DEMO_SCENARIOS) results.push(await playScenario(runtime, scenario, print));
    if (options.json) for (const result of results) console.log(JSON.stringify(result));
    else console.log(`\n${summaryTable(results)}`);
    return results;
  } finally {
    await runtime.close();
  }
}
