import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CaseResult, Experiment } from "./experiment.js";
import type { GateVerdict } from "./gate.js";
import type { Thresholds } from "./thresholds.js";

/** Everything one `warden eval` found: written as JSON and markdown, summarised on stdout. */
export interface EvalReport {
  eval_id: string;
  release: string;
  baseline: string | null;
  dataset: string;
  content_hash: string;
  baseline_hash: string | null;
  /** Each part of the content hash, candidate and baseline: which inputs changed. */
  content_parts: Record<string, { candidate: string; baseline?: string }>;
  packages: Record<string, string>;
  started_at: string;
  finished_at: string;
  thresholds: Thresholds;
  candidate: Experiment;
  baseline_experiment: Experiment | null;
  verdict: GateVerdict;
  langsmith?: { candidate?: string; baseline?: string };
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
const fmt = (value: number | undefined) => (value === undefined ? "—" : value.toFixed(3).replace(/\.?0+$/, "") || "0");

function costLine(results: readonly CaseResult[]): string {
  const sorted = results.map((result) => result.cost.latency_ms).sort((left, right) => left - right);
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  const sum = (pick: (result: CaseResult) => number) => results.reduce((total, result) => total + pick(result), 0);
  const n = Math.max(1, results.length);
  return `latency p50 ${p50} ms, mean ${Math.round(sum((r) => r.cost.latency_ms) / n)} ms; tokens per case ${Math.round(sum((r) => r.cost.input_tokens + r.cost.output_tokens) / n)}; model calls per case ${(sum((r) => r.cost.model_calls) / n).toFixed(1)}; tool calls per case ${(sum((r) => r.cost.tool_calls) / n).toFixed(1)}`;
}

export function renderMarkdown(report: EvalReport): string {
  const { candidate, baseline_experiment: baseline, verdict, thresholds } = report;
  const lines: string[] = [];
  lines.push(`# Eval ${report.release}${report.baseline ? ` vs ${report.baseline}` : ""} on ${report.dataset}: gate **${verdict.gate.toUpperCase()}**`, "");
  lines.push(`- content hash: \`${report.content_hash}\`${report.baseline_hash ? ` (baseline \`${report.baseline_hash}\`)` : ""}`);
  const changed = Object.entries(report.content_parts).filter(([, part]) => part.baseline !== undefined && part.baseline !== part.candidate).map(([name]) => name);
  if (report.baseline) lines.push(`- changed against the baseline: ${changed.length > 0 ? changed.join(", ") : "nothing"}`);
  lines.push(`- packages: ${Object.entries(report.packages).map(([name, version]) => `${name} ${version}`).join(", ")}`);
  lines.push(`- cases: ${candidate.results.length}, passed ${candidate.results.filter((r) => r.pass).length}, failed ${candidate.results.filter((r) => !r.pass).length}`);
  lines.push(`- cost (${report.release}): ${costLine(candidate.results)}`);
  if (baseline) lines.push(`- cost (${report.baseline}): ${costLine(baseline.results)}`);
  if (report.langsmith?.candidate) lines.push(`- LangSmith: candidate ${report.langsmith.candidate}${report.langsmith.baseline ? `, baseline ${report.langsmith.baseline}` : ""}`);
  lines.push("");
  if (verdict.reasons.length > 0) lines.push("## Why the gate failed", "", ...verdict.reasons.map((reason) => `- ${reason}`), "");
  lines.push("## Scores", "", `| evaluator | rule | ${report.baseline ? `${report.baseline} | ` : ""}${report.release} |`, `|---|---|${report.baseline ? "---|" : ""}---|`);
  const keys = [...new Set([...Object.keys(candidate.means), ...Object.keys(baseline?.means ?? {})])];
  for (const key of keys) {
    const rule = thresholds.hard.includes(key) ? "hard: 1 on every case" : thresholds.soft[key] ? `soft: mean ≥ ${thresholds.soft[key]!.min_mean}, tolerance ${thresholds.soft[key]!.tolerance}` : "reported only";
    const now = candidate.means[key];
    const then = baseline?.means[key];
    const marker = then !== undefined && now !== undefined && now < then ? " ⚠" : "";
    lines.push(`| ${key} | ${rule} | ${report.baseline ? `${fmt(then)} | ` : ""}${fmt(now)}${marker} |`);
  }
  lines.push("", "## Cases", "");
  if (baseline) {
    const before = new Map(baseline.results.map((result) => [result.id, result]));
    lines.push(`| case | ${report.baseline} | ${report.release} | regressions | why |`, "|---|---|---|---|---|");
    for (const result of candidate.results) {
      const previous = before.get(result.id);
      const regressed = verdict.regressions.filter((regression) => regression.case === result.id).map((regression) => `⚠ ${regression.evaluator} ${regression.baseline}→${regression.candidate}`);
      lines.push(`| ${result.id} | ${previous ? (previous.pass ? "pass" : "FAIL") : "—"} | ${result.pass ? "pass" : "FAIL"} | ${regressed.join(", ")} | ${cell(why(result))} |`);
    }
  } else {
    lines.push("| case | tags | result | why |", "|---|---|---|---|");
    for (const result of candidate.results) lines.push(`| ${result.id} | ${result.tags.join(", ")} | ${result.pass ? "pass" : "FAIL"} | ${cell(why(result))} |`);
  }
  lines.push("", "## Scores per case", "", `| case | evaluator | ${report.baseline ? `${report.baseline} | ` : ""}${report.release} | comment |`, `|---|---|${report.baseline ? "---|" : ""}---|---|`);
  const before = new Map((baseline?.results ?? []).map((result) => [result.id, result]));
  for (const result of candidate.results) {
    for (const score of Object.values(result.scores)) {
      const old = before.get(result.id)?.scores[score.key];
      const marker = old && score.score < old.score ? " ⚠" : "";
      lines.push(`| ${result.id} | ${score.key} | ${report.baseline ? `${fmt(old?.score)} | ` : ""}${fmt(score.score)}${marker} | ${cell(score.comment)} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function why(result: CaseResult): string {
  const failed = Object.values(result.scores).filter((score) => !score.pass);
  if (failed.length === 0) return `${result.route ?? "no route"} → ${result.status}`;
  return failed.map((score) => `${score.key}: ${score.comment}`).join("; ");
}

/** Writes `report.json` and `report.md` into `dir` (created), returning the markdown's path. */
export function writeReport(dir: string, report: EvalReport): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, "report.json");
  const markdown = join(dir, "report.md");
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, renderMarkdown(report));
  return { json, markdown };
}
