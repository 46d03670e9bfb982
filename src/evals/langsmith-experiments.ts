import { createHash } from "node:crypto";
import { evaluate } from "langsmith/evaluation";
import type { Example } from "langsmith/schemas";
import { WardenError } from "../errors.js";
import { loadConfig } from "../runtime/config.js";
import { createLangSmithClient, type RedactingLangSmithClient } from "../trace/langsmith-client.js";
import type { Dataset, EvalCase } from "./dataset.js";
import type { CaseResult } from "./experiment.js";
import type { CaseRun } from "./run-case.js";
import type { ExperimentSink } from "./run-eval.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A UUID derived from `seed`: the same case of the same dataset content is the same example, in every upload. */
function stableUuid(seed: string): string {
  const hex = sha256(seed);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** An example as LangSmith stores it: the case's input and expectations, redacted like every other export. */
function exampleOf(client: RedactingLangSmithClient, evalCase: EvalCase, datasetHash: string, datasetId: string) {
  return {
    id: stableUuid(`${datasetHash}/${evalCase.id}`),
    dataset_id: datasetId,
    inputs: client.redactor.redact({ case_id: evalCase.id, ...evalCase.input, script: evalCase.script }),
    outputs: client.redactor.redact({ ...evalCase.expect }),
    metadata: { case_id: evalCase.id, tags: evalCase.tags },
  };
}

/**
 * The dataset in LangSmith: reused when one of the same name holds the same content hash; a dataset whose
 * content changed is uploaded under a name carrying the new hash, so earlier experiments keep their fixtures.
 */
async function ensureDataset(client: RedactingLangSmithClient, dataset: Dataset): Promise<{ id: string; examples: Example[] }> {
  const contentHash = `sha256:${sha256(dataset.text)}`;
  for (const name of [`warden ${dataset.id}`, `warden ${dataset.id} ${contentHash.slice(7, 19)}`]) {
    const existing = (await client.hasDataset({ datasetName: name })) ? await client.readDataset({ datasetName: name }) : undefined;
    // The API returns the metadata it was given (the client's Dataset type does not declare it); the description
    // carries the hash too, for servers that drop metadata.
    const stored = existing as (typeof existing & { metadata?: Record<string, unknown> }) | undefined;
    if (stored && stored.metadata?.content_hash !== contentHash && !stored.description?.includes(contentHash)) continue;
    const target = existing ?? (await client.createDataset(name, { description: `Warden eval dataset ${dataset.id} (${dataset.cases.length} cases, ${contentHash})`, metadata: { content_hash: contentHash, dataset: dataset.id } }));
    const examples: Example[] = [];
    for await (const example of client.listExamples({ datasetId: target.id })) examples.push(example);
    const have = new Set(examples.map((example) => example.id));
    const missing = dataset.cases.map((evalCase) => exampleOf(client, evalCase, contentHash, target.id)).filter((example) => !have.has(example.id));
    if (missing.length > 0) examples.push(...(await client.createExamples(missing)));
    return { id: target.id, examples };
  }
  throw new WardenError("VALIDATION_FAILED", `LangSmith holds datasets named after ${dataset.id} with other content; rename or delete them.`);
}

/**
 * `warden eval --langsmith`: the dataset uploaded once per content hash, and each experiment (candidate, baseline)
 * recorded through langsmith's own `evaluate()` — the runner has already run and judged every case, so the
 * target returns the case's recorded outcome and the evaluator hands back Warden's scores as feedback, one key per
 * evaluator. Runs, feedback and examples all go through the runtime's redactor.
 */
export async function createLangSmithSink(env: Record<string, string | undefined>): Promise<ExperimentSink & { close(): Promise<void> }> {
  const config = { LANGSMITH_ENDPOINT: env.LANGSMITH_ENDPOINT, LANGSMITH_API_KEY: env.LANGSMITH_API_KEY, WARDEN_REDACT_FIELDS: loadConfig(env).WARDEN_REDACT_FIELDS };
  if (!config.LANGSMITH_API_KEY) throw new WardenError("VALIDATION_FAILED", "--langsmith needs LANGSMITH_API_KEY (and LANGSMITH_ENDPOINT for a self-hosted LangSmith).");
  const client = createLangSmithClient(config);
  return {
    async start({ release, role, dataset, contentHash, packages }) {
      const uploaded = await ensureDataset(client, dataset);
      const outcomes = new Map<string, { run: CaseRun; result: CaseResult }>();
      return {
        onRun(run, result) {
          outcomes.set(run.case.id, { run, result });
        },
        async finish() {
          const caseOf = (inputs: Record<string, unknown>) => outcomes.get(String(inputs.case_id));
          const results = await evaluate(
            (inputs: Record<string, unknown>) => {
              const outcome = caseOf(inputs);
              if (!outcome) return { status: "not_run" };
              const { run } = outcome;
              return client.redactor.redact({ status: run.status, route: run.route ?? null, answer: run.answer ?? null, effects: run.effects, tools: run.toolCalls.map((call) => call.tool), run_id: run.runId ?? null });
            },
            {
              data: uploaded.examples,
              evaluators: [
                ({ example }: { example: Example }) => ({
                  results: Object.values(caseOf(example.inputs)?.result.scores ?? {}).map((score) => ({ key: score.key, score: score.score, comment: client.redactor.redact(score.comment) })),
                }),
              ],
              experimentPrefix: `${release}-${role}`,
              description: `Warden ${role} ${release} on ${dataset.id}`,
              metadata: { release, role, dataset: dataset.id, content_hash: contentHash, packages },
              client,
              maxConcurrency: 4,
            },
          );
          try {
            return await client.getProjectUrl({ projectName: results.experimentName });
          } catch {
            return results.experimentName;
          }
        },
      };
    },
    close: () => client.awaitPendingTraceBatches(),
  };
}
