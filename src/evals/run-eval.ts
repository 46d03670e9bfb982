import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { WardenError } from "../errors.js";
import { loadRelease, PROJECT_ROOT } from "../kernel/release.js";
import { loadWardenConfig } from "../runtime/warden-config.js";
import type { FixtureDefinition } from "../kernel/fixture.js";
import type { ToolDefinition } from "../tools/types.js";
import { releaseContentHash } from "../runtime/release-content-hash.js";
import { loadDataset, type Dataset } from "./dataset.js";
import { createEvalDatabases, type EvalDatabases } from "./eval-database.js";
import type { Evaluator } from "./evaluator.js";
import { createJudgeEvaluator, DEFAULT_EVALUATORS } from "./evaluators/index.js";
import { runExperiment, type CaseResult, type Experiment, type ExperimentOptions } from "./experiment.js";
import { decideGate } from "./gate.js";
import { writeReport, type EvalReport } from "./report.js";
import { gatingKeys, loadThresholds } from "./thresholds.js";

export interface EvalProgress {
  release: string;
  done: number;
  total: number;
  failed: number;
}

/** Hooks an experiment tracker (LangSmith) into the two experiments without the runner knowing it. */
export interface ExperimentSink {
  /** Called once per experiment before its cases run; returns the per-case hook and a finisher with a link. */
  start(input: { release: string; role: "candidate" | "baseline"; dataset: Dataset; contentHash: string; packages: Record<string, string> }): Promise<{
    onRun: NonNullable<ExperimentOptions["onRun"]>;
    finish(): Promise<string | undefined>;
  }>;
}

export interface EvalOptions {
  release: string;
  /** The release to compare with; undefined: the release's `replaces`; null: no baseline. */
  baseline?: string | null;
  /** Default: the release's `eval.dataset`. */
  dataset?: string;
  root?: string;
  tools?: readonly ToolDefinition[];
  /** The fixture steps datasets may use; default: the composition root's packs'. */
  fixtures?: ReadonlyMap<string, FixtureDefinition<any>>;
  /** Tools per release id (tests: a candidate whose tool schema changed); undefined: `tools`. */
  toolsFor?: (release: string) => readonly ToolDefinition[] | undefined;
  /** A model per release id (tests); undefined: the release's own (offline unless OPENAI_API_KEY is in `env`). */
  modelFor?: (release: string) => BaseChatModel | undefined;
  env?: Record<string, string | undefined>;
  concurrency?: number;
  /** Where report.json and report.md go (default `.warden/evals/<time>-<release>/`). */
  outDir?: string;
  /** The LLM-as-judge evaluator's model, when one is configured. */
  judge?: BaseChatModel;
  onProgress?: (progress: EvalProgress) => void;
  sink?: ExperimentSink;
  /** Databases to run the cases on (kept open afterwards); default: `concurrency` new ones, closed at the end. */
  databases?: EvalDatabases;
}

export interface EvalOutcome {
  report: EvalReport;
  paths: { json: string; markdown: string };
}

/**
 * One `warden eval`: the candidate (and the baseline, on the same dataset and the same fresh databases) through
 * the real runtime and graph, every evaluator on every case, the gate, and the reports. Recording the verdict in
 * the store is the caller's: the runner never touches the database that serves traffic. LangChain's own tracer
 * follows `process.env` (`LANGSMITH_TRACING`), which a library cannot scope to one call: `warden eval` switches it
 * off for its process, so cases never reach LangSmith unless `--langsmith` asks for it (through `sink`).
 */
export async function runEval(options: EvalOptions): Promise<EvalOutcome> {
  // Default: the composition root's packs (warden.config.ts), as every entry point.
  const composition = options.tools && options.root && options.fixtures ? undefined : (await loadWardenConfig()).composition;
  const fixtures = options.fixtures ?? composition!.fixtures;
  const root = options.root ?? composition?.root ?? PROJECT_ROOT;
  const tools = options.tools ?? composition!.tools;
  const release = loadRelease(options.release, root);
  const baselineId = options.baseline === undefined ? (release.replaces ?? null) : options.baseline;
  if (baselineId === release.id) throw new WardenError("VALIDATION_FAILED", `A release cannot be its own baseline (${release.id}).`);
  const baselineRelease = baselineId ? loadRelease(baselineId, root) : undefined;
  const toolsOf = (id: string) => options.toolsFor?.(id) ?? tools;
  const candidateHash = releaseContentHash(release, { root, tools: toolsOf(release.id), ...(options.dataset ? { dataset: options.dataset } : {}) });
  const dataset = loadDataset(candidateHash.dataset, root, fixtures);
  const baselineHash = baselineRelease ? releaseContentHash(baselineRelease, { root, tools: toolsOf(baselineRelease.id), dataset: dataset.id }) : undefined;
  const evaluators: Evaluator[] = [...DEFAULT_EVALUATORS, ...(options.judge ? [createJudgeEvaluator(options.judge)] : [])];
  const thresholds = loadThresholds(root, evaluators.map((evaluator) => evaluator.key).concat(options.judge ? [] : ["llm_judge"]));
  const gating = gatingKeys(thresholds);
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 2, 8));
  const startedAt = new Date();
  const databases = options.databases ?? (await createEvalDatabases(concurrency));
  const links: { candidate?: string; baseline?: string } = {};
  try {
    const experiment = async (id: string, role: "candidate" | "baseline", hash: string): Promise<Experiment> => {
      let failed = 0;
      let done = 0;
      const tracker = options.sink ? await options.sink.start({ release: id, role, dataset, contentHash: hash, packages: candidateHash.packages }) : undefined;
      const model = options.modelFor?.(id);
      const result = await runExperiment({
        release: id,
        dataset,
        databases,
        evaluators,
        gating,
        tools: toolsOf(id),
        fixtures,
        root,
        ...(model ? { model } : {}),
        ...(options.env ? { env: options.env } : {}),
        concurrency,
        onCase: (caseResult: CaseResult) => {
          done++;
          if (!caseResult.pass) failed++;
          options.onProgress?.({ release: id, done, total: dataset.cases.length, failed });
        },
        ...(tracker ? { onRun: tracker.onRun } : {}),
      });
      const link = await tracker?.finish();
      if (link) links[role] = link;
      return result;
    };
    const candidate = await experiment(release.id, "candidate", candidateHash.hash);
    const baseline = baselineRelease && baselineHash ? await experiment(baselineRelease.id, "baseline", baselineHash.hash) : undefined;
    const verdict = decideGate(candidate, baseline, thresholds);
    const parts = Object.fromEntries(
      Object.entries(candidateHash.parts).map(([name, value]) => [name, { candidate: value, ...(baselineHash ? { baseline: baselineHash.parts[name as keyof typeof baselineHash.parts] } : {}) }]),
    );
    const report: EvalReport = {
      eval_id: randomUUID(),
      release: release.id,
      baseline: baselineRelease?.id ?? null,
      dataset: dataset.id,
      content_hash: candidateHash.hash,
      baseline_hash: baselineHash?.hash ?? null,
      content_parts: parts,
      packages: candidateHash.packages,
      started_at: startedAt.toISOString(),
      finished_at: new Date().toISOString(),
      thresholds,
      candidate,
      baseline_experiment: baseline ?? null,
      verdict,
      ...(links.candidate ? { langsmith: links } : {}),
    };
    const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
    const dir = options.outDir ?? join(".warden", "evals", `${stamp}-${release.id}`);
    return { report, paths: writeReport(dir, report) };
  } finally {
    if (!options.databases) await databases.close();
  }
}

/** The one JSON object `warden eval --json` prints as its last line. */
export function summaryOf(outcome: EvalOutcome) {
  const { report, paths } = outcome;
  return {
    release: report.release,
    baseline: report.baseline,
    dataset: report.dataset,
    content_hash: report.content_hash,
    cases: report.candidate.results.length,
    passed: report.candidate.results.filter((result) => result.pass).length,
    failed: report.candidate.results.filter((result) => !result.pass).length,
    scores: report.candidate.means,
    regressions: report.verdict.regressions,
    gate: report.verdict.gate,
    reasons: report.verdict.reasons,
    report: paths.markdown,
  };
}
