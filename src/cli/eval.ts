import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { isWardenError, WardenError } from "../errors.js";
import { createChatModel } from "../model/create-chat-model.js";
import { runEval, summaryOf, type EvalOutcome, type EvalProgress } from "../evals/run-eval.js";
import { loadConfig } from "../runtime/config.js";
import { openStore } from "../store/open-store.js";
import { recordEvalRun } from "../store/eval-runs.js";
import { createProgressBar } from "./progress-bar.js";

export const EVAL_USAGE = `warden eval --release R [--baseline B|none] [--dataset D] [--json] [--out DIR] [--concurrency N] [--langsmith]

  Runs every case of the release's dataset (evals/datasets/<D>.jsonl) through the real runtime and graph on
  isolated embedded databases (offline model unless OPENAI_API_KEY is set), and the baseline on the same cases
  (default: the release it replaces, "replaces" in its file). Writes report.md and report.json to DIR (default
  .warden/evals/<time>-<release>/), records the verdict in the store (eval_runs) for \`warden release activate\`.
  --json          print one JSON summary object as the last line of stdout
  --root DIR      the project whose releases/, prompts/, policies/ and evals/ are evaluated (default: this one)
  --langsmith     also upload the dataset and both experiments to LangSmith (LANGSMITH_API_KEY, LANGSMITH_ENDPOINT)
  Exit status: 0 the gate passes, 1 it fails, 2 usage or configuration error.
`;

/** The variables with which LangChain switches its env-driven tracer on (`@langchain/core` `isTracingEnabled`). */
const ENV_TRACING_SWITCHES = ["LANGSMITH_TRACING_V2", "LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING", "LANGCHAIN_TRACING"] as const;

/** Only what selects a model reaches the runtime under test: no store, tracing or server settings from the shell. */
function modelEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return { OPENAI_API_KEY: env.OPENAI_API_KEY, OPENAI_BASE_URL: env.OPENAI_BASE_URL };
}

function parse(args: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        release: { type: "string" },
        baseline: { type: "string" },
        dataset: { type: "string" },
        json: { type: "boolean", default: false },
        out: { type: "string" },
        concurrency: { type: "string" },
        langsmith: { type: "boolean", default: false },
        root: { type: "string" },
      },
    });
    void positionals;
    if (!values.release) throw new Error("--release is required");
    const concurrency = values.concurrency === undefined ? 2 : Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 8) throw new Error("--concurrency must be an integer from 1 to 8");
    return { ...values, release: values.release, concurrency };
  } catch (error) {
    throw new WardenError("VALIDATION_FAILED", `${(error as Error).message}\n\n${EVAL_USAGE}`);
  }
}

async function record(outcome: EvalOutcome): Promise<void> {
  const config = loadConfig();
  const store = await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR });
  try {
    const { report, paths } = outcome;
    const summary = summaryOf(outcome);
    await recordEvalRun(store.db, {
      eval_id: report.eval_id,
      release_id: report.release,
      content_hash: report.content_hash,
      baseline_id: report.baseline,
      baseline_hash: report.baseline_hash,
      dataset: report.dataset,
      gate: report.verdict.gate,
      cases: summary.cases,
      passed: summary.passed,
      failed: summary.failed,
      scores: report.candidate.means,
      reasons: report.verdict.reasons,
      report_path: paths.markdown,
    });
  } finally {
    await store.close();
  }
}

/** `warden eval ...`: returns the exit status (0 gate pass, 1 gate fail, 2 usage or configuration error). */
export async function runEvalCommand(args: string[]): Promise<number> {
  try {
    const options = parse(args);
    const env = { ...process.env };
    // Fixtures go to LangSmith only with --langsmith (through the sink's own client), never through LangChain's
    // env-driven tracer: this process is the eval's alone, so switching the tracer off here scopes to the eval.
    for (const name of ENV_TRACING_SWITCHES) if (process.env[name] !== undefined) process.env[name] = "false";
    const judgeModel = env.WARDEN_EVAL_JUDGE_MODEL?.trim();
    if (judgeModel && !env.OPENAI_API_KEY) throw new WardenError("VALIDATION_FAILED", "WARDEN_EVAL_JUDGE_MODEL needs OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server).");
    const bar = !options.json && process.stderr.isTTY ? createProgressBar(process.stderr) : undefined;
    const sink = options.langsmith ? await (await import("../evals/langsmith-experiments.js")).createLangSmithSink(env) : undefined;
    const outcome = await runEval({
      release: options.release,
      ...(options.baseline !== undefined ? { baseline: options.baseline === "none" ? null : options.baseline } : {}),
      ...(options.dataset ? { dataset: options.dataset } : {}),
      ...(options.out ? { outDir: options.out } : {}),
      ...(options.root ? { root: resolve(options.root) } : {}),
      concurrency: options.concurrency,
      env: modelEnv(env),
      ...(judgeModel ? { judge: createChatModel({ provider: "openai", name: judgeModel, temperature: 0 }, env) } : {}),
      ...(sink ? { sink } : {}),
      onProgress: (progress: EvalProgress) => bar?.update(progress),
    });
    bar?.done();
    await sink?.close();
    await record(outcome);
    const summary = summaryOf(outcome);
    if (!options.json) {
      const line = `${summary.release}${summary.baseline ? ` vs ${summary.baseline}` : ""} on ${summary.dataset}: ${summary.passed}/${summary.cases} passed, gate ${summary.gate.toUpperCase()}`;
      process.stdout.write(`${line}\n${summary.reasons.map((reason) => `  - ${reason}\n`).join("")}report: ${summary.report}\n`);
    } else {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    }
    return summary.gate === "pass" ? 0 : 1;
  } catch (error) {
    process.stderr.write(isWardenError(error) ? `error ${error.code}: ${error.message}\n` : `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  }
}
