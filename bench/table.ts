import { HTTP_TARGET_RUNS_PER_SECOND, httpTargetMet, type HttpBackendResult } from "./http.js";
import { byGroup, type ProfileResult } from "./profile.js";
import type { BackendResult, BenchReport } from "./results.js";

/** Plain-text tables for the terminal (and for pasting into docs/benchmarks.md). */
function table(header: string[], rows: string[][], rightAligned: (column: number) => boolean): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (rightAligned(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);
const times = (value: number) => `${value.toFixed(2)}×`;

function backendRows(result: BackendResult, target: number): string[][] {
  if (result.skipped) return [];
  const rows: string[][] = [];
  for (const kind of ["governed", "raw"] as const) {
    const measured = result[kind];
    if (!measured) continue;
    const { sequential, concurrent } = measured;
    rows.push([
      result.backend,
      kind,
      fixed(sequential.meanMs, 2),
      fixed(sequential.p50Ms, 2),
      fixed(sequential.p95Ms, 2),
      fixed(sequential.cpuMsPerRun, 2),
      fixed(concurrent.runsPerSecond, 0),
      sequential.statementsPerRun === null ? "-" : fixed(sequential.statementsPerRun),
      "",
    ]);
  }
  if (result.ratio && result.governed && result.raw) {
    const slowdown = Math.max(result.ratio.msPerRun, 1 / result.ratio.runsPerSecond);
    const sql = result.governed.sequential.statementsPerRun;
    const rawSql = result.raw.sequential.statementsPerRun;
    rows.push([
      result.backend,
      "governed/raw",
      times(result.ratio.msPerRun),
      "",
      "",
      times(result.ratio.cpuMsPerRun),
      times(result.ratio.runsPerSecond),
      sql !== null && rawSql !== null && rawSql > 0 ? times(sql / rawSql) : "-",
      slowdown <= target ? "met" : `missed (${times(slowdown)} slower)`,
    ]);
  }
  return rows;
}

export function renderSummary(report: BenchReport): string {
  const { options } = report;
  const title =
    `Warden bench: governed refund run (start → waiting_approval → approve → completed) vs raw LangGraph of the same shape\n` +
    `node ${report.node}, ${report.cpus} CPUs, durability "${options.durability}", ${options.warmup} warm-up runs, ` +
    `${options.runs} sequential runs, ${options.concurrentRuns} runs with ${options.concurrency} in flight, ` +
    `governed and raw alternating in ${options.rounds} rounds`;
  const header = ["backend", "run", "ms/run", "p50", "p95", "CPU ms/run", `runs/s@${options.concurrency}`, "SQL/run", `target ≤${report.target}×`];
  const rows = report.backends.flatMap((result) => backendRows(result, report.target));
  const skipped = report.backends.filter((result) => result.skipped).map((result) => `${result.backend}: ${result.skipped}`);
  return [`${title}\n`, table(header, rows, (column) => column >= 2 && column <= 7), ...skipped].join("\n");
}

/** Statements and time per run by category, split into the start half and the resume half. */
export function renderProfile(backend: string, kind: string, profile: ProfileResult): string {
  const header = ["category", "start stmts", "resume stmts", "total stmts", "SQL ms/run"];
  const rows = profile.categories.map((row) => [
    row.name,
    fixed(row.start.statements),
    fixed(row.resume.statements),
    fixed(row.start.statements + row.resume.statements),
    fixed(row.start.ms + row.resume.ms, 2),
  ]);
  const groups = byGroup(profile).map((group) => [`= ${group.group}`, "", "", fixed(group.statements), fixed(group.ms, 2)]);
  const totals = [
    "= all (classified)",
    fixed(profile.categories.reduce((sum, row) => sum + row.start.statements, 0)),
    fixed(profile.categories.reduce((sum, row) => sum + row.resume.statements, 0)),
    fixed(profile.classifiedPerRun),
    fixed(profile.sqlMsPerRun, 2),
  ];
  const note =
    `${backend} ${kind}: ${profile.runs} profiled runs, ${fixed(profile.msPerRun, 2)} ms/run wall, ` +
    `${fixed(profile.sqlMsPerRun, 2)} ms/run summed SQL time, Db.statementCount ${fixed(profile.statementsPerRun)}/run`;
  return `${note}\n${table(header, [...rows, ...groups, totals], (column) => column >= 1)}`;
}

/** The HTTP figure: one row per backend, then a line per backend whose clients saw anything but 2xx. */
export function renderHttp(results: HttpBackendResult[], connections: number, seconds: number): string {
  const title =
    `Warden bench over HTTP: POST /v1/runs {"goal":"Where is my order A-1001?"} (agent path, no approval → completed), ` +
    `${connections} keep-alive connections for ${seconds} s (autocannon), rate limit and logs off`;
  const header = ["backend", "2xx", "non-2xx", "errors", "runs/s", "p50 ms", "p99 ms", "SQL/run", "loop busy", "busy ms/run", `target ≥${HTTP_TARGET_RUNS_PER_SECOND}/s`];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const result of results) {
    if ("skipped" in result) {
      notes.push(`${result.backend}: ${result.skipped}`);
      continue;
    }
    const non2xx = Object.values(result.non2xx).reduce((sum, n) => sum + n, 0);
    const met = httpTargetMet(result);
    rows.push([
      result.backend,
      String(result.ok),
      String(non2xx),
      String(result.errors + result.timeouts),
      fixed(result.runsPerSecond),
      fixed(result.latencyMs.p50, 0),
      fixed(result.latencyMs.p99, 0),
      fixed(result.statementsPerRun),
      `${fixed(result.loopUtilization * 100, 0)}%`,
      fixed(result.loopBusyMsPerRun, 2),
      met === null ? "-" : met ? "met" : `missed (${times(HTTP_TARGET_RUNS_PER_SECOND / result.runsPerSecond)} short)`,
    ]);
    if (non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
      const codes = Object.entries(result.non2xx).map(([code, n]) => `${n}× ${code}`).join(", ");
      notes.push(`${result.backend}: NOT ALL REQUESTS SUCCEEDED: ${codes || "no non-2xx"}, ${result.errors} socket errors, ${result.timeouts} timeouts (runs/s counts 2xx only)`);
    }
  }
  return [`${title}\n`, table(header, rows, (column) => column >= 1 && column <= 9), ...notes].join("\n");
}
