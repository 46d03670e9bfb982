import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { FixtureDefinition } from "../kernel/fixture.js";
import type { ToolDefinition } from "../tools/types.js";
import type { Dataset, EvalCase } from "./dataset.js";
import type { EvalDatabases } from "./eval-database.js";
import type { Evaluator, Score } from "./evaluator.js";
import type { CaseCost } from "./run-facts.js";
import { runCase, type CaseRun } from "./run-case.js";

/** One case's verdict on one release: every evaluator's score, and the facts a report shows. */
export interface CaseResult {
  id: string;
  tags: string[];
  status: string;
  route: string | null;
  /** Passed every gating evaluator that applies to it. */
  pass: boolean;
  scores: Record<string, Score>;
  cost: CaseCost;
  run_id?: string;
  /** Set when the case could not be run at all (a bug or a broken fixture, not a verdict on the release). */
  crashed?: string;
}

export interface Experiment {
  release: string;
  results: CaseResult[];
  /** Mean score per evaluator over the cases it applies to. */
  means: Record<string, number>;
}

export interface ExperimentOptions {
  release: string;
  dataset: Dataset;
  databases: EvalDatabases;
  evaluators: readonly Evaluator[];
  /** Evaluators whose failure fails a case (the hard and soft keys of the thresholds). */
  gating: ReadonlySet<string>;
  tools: readonly ToolDefinition[];
  /** The packs' fixture steps the dataset uses. */
  fixtures?: ReadonlyMap<string, FixtureDefinition<any>>;
  root?: string;
  model?: BaseChatModel;
  env?: Record<string, string | undefined>;
  concurrency: number;
  onCase?: (result: CaseResult) => void;
  /** Sees each case's full run (the LangSmith upload uses it). */
  onRun?: (run: CaseRun, result: CaseResult) => void | Promise<void>;
}

async function judge(run: CaseRun, evaluators: readonly Evaluator[], gating: ReadonlySet<string>): Promise<CaseResult> {
  const scores: Record<string, Score> = {};
  for (const evaluator of evaluators) {
    try {
      const score = await evaluator.evaluate(run);
      if (score) scores[evaluator.key] = score;
    } catch (error) {
      // An evaluator that cannot judge fails the case rather than silently passing it.
      scores[evaluator.key] = { key: evaluator.key, score: 0, pass: false, comment: `evaluator error: ${(error as Error).message}` };
    }
  }
  const pass = Object.values(scores).every((score) => score.pass || !gating.has(score.key));
  return { id: run.case.id, tags: run.case.tags, status: run.status, route: run.route ?? null, pass, scores, cost: run.cost, ...(run.runId ? { run_id: run.runId } : {}) };
}

function crashedResult(evalCase: EvalCase, error: unknown): CaseResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    id: evalCase.id,
    tags: evalCase.tags,
    status: "crashed",
    route: null,
    pass: false,
    scores: { outcome: { key: "outcome", score: 0, pass: false, comment: `the case could not run: ${message}` } },
    cost: { latency_ms: 0, model_calls: 0, input_tokens: 0, output_tokens: 0, tool_calls: 0 },
    crashed: message,
  };
}

export function meansOf(results: readonly CaseResult[]): Record<string, number> {
  const sums = new Map<string, { total: number; count: number }>();
  for (const result of results) {
    for (const score of Object.values(result.scores)) {
      const entry = sums.get(score.key) ?? { total: 0, count: 0 };
      entry.total += score.score;
      entry.count += 1;
      sums.set(score.key, entry);
    }
  }
  return Object.fromEntries([...sums].map(([key, { total, count }]) => [key, Math.round((total / count) * 10000) / 10000]));
}

/** Runs every case of the dataset on the release, `concurrency` at a time, each on a database of its own. */
export async function runExperiment(options: ExperimentOptions): Promise<Experiment> {
  const results: CaseResult[] = new Array(options.dataset.cases.length);
  let next = 0;
  const worker = async () => {
    while (next < options.dataset.cases.length) {
      const index = next++;
      const evalCase = options.dataset.cases[index]!;
      let result: CaseResult;
      try {
        const run = await options.databases.use((store) =>
          runCase(evalCase, {
            store,
            release: options.release,
            tools: options.tools,
            ...(options.fixtures ? { fixtures: options.fixtures } : {}),
            ...(options.root ? { root: options.root } : {}),
            ...(options.model ? { model: options.model } : {}),
            ...(options.env ? { env: options.env } : {}),
          }),
        );
        result = await judge(run, options.evaluators, options.gating);
        await options.onRun?.(run, result);
      } catch (error) {
        result = crashedResult(evalCase, error);
      }
      results[index] = result;
      options.onCase?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, options.dataset.cases.length)) }, worker));
  return { release: options.release, results, means: meansOf(results) };
}
