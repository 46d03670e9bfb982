import type { Pack } from "../kernel/pack.js";
import type { DemoScenario, PackDemo } from "../kernel/pack-demo.js";
import { createRuntime, type Runtime } from "../runtime/create-runtime.js";
import type { RunRecord } from "../runs/run-record.js";
import { formatEvent } from "./format-event.js";

export interface DemoResult {
  scenario: string;
  run_id: string;
  route: string | null;
  status: string;
  /** The effects the scenario's pack counts for this run (`PackDemo.effects`: e.g. what a provider issued). */
  effects: number;
  event_kinds: string[];
  eval: "pass" | "fail";
  answer: string | undefined;
}

/** The packs' scenarios, pack by pack, each with the demo of the pack that declares it. */
function scenariosOf(packs: readonly Pack[]): Array<{ scenario: DemoScenario; demo: PackDemo }> {
  return packs.flatMap((pack) => (pack.demo ? pack.demo.scenarios.map((scenario) => ({ scenario, demo: pack.demo! })) : []));
}

async function playScenario(runtime: Runtime, { scenario, demo }: { scenario: DemoScenario; demo: PackDemo }, print: (line: string) => void): Promise<DemoResult> {
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
    effects: demo.effects ? await demo.effects.count(runtime.store.db, record) : 0,
    event_kinds: [...new Set(events.map((event) => event.kind))],
    eval: verdict?.attributes.pass === true ? "pass" : "fail",
    answer: record.answer,
  };
  print(`   ⇒ ${record.status}. Answer:`);
  for (const line of (record.answer ?? "(none)").split("\n")) print(`     ${line}`);
  return result;
}

/** The summary's effect column: the packs' label when they agree on one. */
function effectsLabel(demos: readonly PackDemo[]): string {
  const labels = new Set(demos.flatMap((demo) => (demo.effects ? [demo.effects.label] : [])));
  return labels.size === 1 ? [...labels][0]! : "effects";
}

function summaryTable(results: DemoResult[], effects: string): string {
  const header = ["scenario", "route", "status", effects, "eval"];
  const rows = results.map((result) => [result.scenario, result.route ?? "-", result.status, String(result.effects), result.eval]);
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join("  ");
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

/**
 * `npm run demo`: the packs' scenarios (`PackDemo`) over their seed on an embedded, in-memory PGlite with the
 * offline model (no env, no server). `--json` prints one JSON object per scenario instead of the narrated run.
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
  const runtime = await createRuntime({ env });
  try {
    const scenarios = scenariosOf(runtime.deps.composition.packs);
    const tenants = [...new Set(scenarios.map(({ scenario }) => scenario.envelope.tenant))].join(", ");
    print(`Warden demo: embedded PGlite (in memory), offline model, release ${runtime.config.WARDEN_RELEASE}, tenant ${tenants}`);
    const results: DemoResult[] = [];
    for (const entry of scenarios) results.push(await playScenario(runtime, entry, print));
    if (options.json) for (const result of results) console.log(JSON.stringify(result));
    else console.log(`\n${summaryTable(results, effectsLabel(scenarios.map(({ demo }) => demo)))}`);
    return results;
  } finally {
    await runtime.close();
  }
}
