import { Client, type ClientConfig } from "langsmith";
import type { CreateFeedbackLegacyOptions, CreateFeedbackParams } from "langsmith/client";
import type { Feedback } from "langsmith/schemas";
import { createRedactor, type Redactor } from "./redact.js";

/** What the factory reads from Warden's config (`runtime.config` or `loadConfig(env)` fit as they are). */
export interface LangSmithClientConfig {
  LANGSMITH_ENDPOINT?: string;
  LANGSMITH_API_KEY?: string;
  /** Used for the default redactor when none is given. */
  WARDEN_REDACT_FIELDS?: string[];
}

type CreateRunParams = Parameters<Client["createRun"]>[0];
type RunUpdate = Parameters<Client["updateRun"]>[1];
type BatchIngest = Parameters<Client["batchIngestRuns"]>;
type MultipartIngest = Parameters<Client["multipartIngestRuns"]>;

/**
 * Fields of a run payload that only place it (ids, times, position, project): never personal data, and rewriting
 * them would break nesting. Everything else of a run (name, inputs, outputs, error, extra with metadata,
 * serialized, tags, events, nested child runs, ...) goes through the redactor.
 */
const PLACEMENT_FIELDS = new Set([
  "id",
  "trace_id",
  "parent_run_id",
  "dotted_order",
  "start_time",
  "end_time",
  "run_type",
  "session_name",
  "session_id",
  "project_name",
  "reference_example_id",
  "revision_id",
  "address",
  // Binary files (Warden sends none); the redactor would turn their bytes into an object.
  "attachments",
]);

/**
 * A copy of a run payload with every non-placement field redacted. `redacted` (optional) collects the objects it
 * produced, so a later pass over the same objects (the client's anonymizer) can skip them.
 */
export function redactRunPayload<T extends object>(redactor: Redactor, run: T, redacted?: WeakSet<object>): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(run)) {
    if (value === undefined) continue;
    const copy = PLACEMENT_FIELDS.has(key) || (value !== null && typeof value === "object" && redacted?.has(value)) ? value : redactor.redact(value);
    if (redacted && copy !== null && typeof copy === "object" && !PLACEMENT_FIELDS.has(key)) {
      redacted.add(copy);
      const metadata = (copy as { metadata?: unknown }).metadata;
      if (key === "extra" && metadata !== null && typeof metadata === "object") redacted.add(metadata);
    }
    out[key] = copy;
  }
  return out as T;
}

/**
 * A LangSmith client that redacts every run it sends with the Warden redactor: its own `anonymizer` option (the
 * client applies it to inputs, outputs, metadata and errors on every ingestion path), and, for the fields the client
 * leaves alone (`serialized`, `tags`, `name`, the rest of `extra`, `events`), the four public ways in: `createRun`,
 * `updateRun` (what LangChain's tracer and `RunTree` use), `batchIngestRuns`, `multipartIngestRuns`. Each object
 * is copied once: what was redacted is remembered and passed through later passes. Feedback comments, values and
 * corrections are redacted too.
 * Datasets and examples are sent as given: they are curated evaluation data, not traces.
 */
export class RedactingLangSmithClient extends Client {
  readonly redactor: Redactor;
  /**
   * Inputs, outputs and metadata `createRun`/`updateRun` already redacted: the client hands the same objects to
   * the anonymizer (once when queued, again when serialised), which then need not copy them twice more. Payloads
   * that reach the client another way (`batchIngestRuns`, `multipartIngestRuns`) are not in it and are redacted.
   */
  private readonly redacted: WeakSet<object>;

  constructor(redactor: Redactor, config: ClientConfig = {}) {
    const redacted = new WeakSet<object>();
    // The client uses the anonymizer for inputs, outputs, metadata and errors alike (no hide* option overrides it).
    super({ ...config, anonymizer: (values) => (redacted.has(values) ? values : redactor.redact(values)) });
    this.redactor = redactor;
    this.redacted = redacted;
  }

  override createRun(run: CreateRunParams, options?: Parameters<Client["createRun"]>[1]): Promise<void> {
    return super.createRun(redactRunPayload(this.redactor, run, this.redacted), options);
  }

  override updateRun(runId: string, run: RunUpdate, options?: Parameters<Client["updateRun"]>[2]): Promise<void> {
    return super.updateRun(runId, redactRunPayload(this.redactor, run, this.redacted), options);
  }

  /** The client's own queue sends through here with runs `createRun`/`updateRun` redacted (then nothing is copied again). */
  override batchIngestRuns(runs: BatchIngest[0], options?: BatchIngest[1]): Promise<void> {
    return super.batchIngestRuns(this.redactBatch(runs), options);
  }

  override multipartIngestRuns(runs: MultipartIngest[0], options?: MultipartIngest[1]): Promise<void> {
    const { feedbacks, ...rest } = runs;
    return super.multipartIngestRuns({ ...this.redactBatch(rest), ...(feedbacks ? { feedbacks: feedbacks.map((feedback) => this.redactFeedback(feedback)) } : {}) }, options);
  }

  private redactBatch<T extends { runCreates?: object[]; runUpdates?: object[] }>(runs: T): T {
    return {
      ...runs,
      ...(runs.runCreates ? { runCreates: runs.runCreates.map((run) => redactRunPayload(this.redactor, run, this.redacted)) } : {}),
      ...(runs.runUpdates ? { runUpdates: runs.runUpdates.map((run) => redactRunPayload(this.redactor, run, this.redacted)) } : {}),
    };
  }

  private redactFeedback<T extends { comment?: unknown; value?: unknown; correction?: unknown }>(fields: T): T {
    return {
      ...fields,
      ...(fields.comment === undefined ? {} : { comment: this.redactor.redact(fields.comment) }),
      ...(fields.value === undefined ? {} : { value: this.redactor.redact(fields.value) }),
      ...(fields.correction === undefined ? {} : { correction: this.redactor.redact(fields.correction) }),
    };
  }

  override createFeedback(params: CreateFeedbackParams): Promise<Feedback>;
  override createFeedback(runId: string | null, key: string, options: CreateFeedbackLegacyOptions): Promise<Feedback>;
  override createFeedback(first: CreateFeedbackParams | string | null, key?: string, options?: CreateFeedbackLegacyOptions): Promise<Feedback> {
    if (first !== null && typeof first === "object") return super.createFeedback(this.redactFeedback(first));
    return super.createFeedback(first, key!, this.redactFeedback(options ?? {}));
  }
}

/**
 * Creates the LangSmith client Warden traces with, usable on its own for `evaluate()` experiments and dataset
 * uploads: endpoint and key from Warden's config (the client's own defaults, `process.env` then LangSmith's cloud,
 * only for what the config leaves unset), runs redacted with `redactor` (default: the runtime's, built from
 * `WARDEN_REDACT_FIELDS`), runtime and environment details left out of run metadata, and LangSmith's REST API as
 * the destination even when `OTEL_ENABLED`/`LANGSMITH_TRACING_MODE` are set. Whether runs are traced is not
 * decided here (`LANGSMITH_TRACING` only decides whether the runtime attaches a tracer).
 *
 * Flush before exiting: `await client.awaitPendingTraceBatches()`.
 *
 * @param config `LANGSMITH_ENDPOINT`, `LANGSMITH_API_KEY` (and `WARDEN_REDACT_FIELDS` for the default redactor).
 * @param redactor The redactor of `run_events` (`createRedactor({ fields })`).
 * @param overrides Other `langsmith` client options (e.g. `fetchImplementation`, `autoBatchTracing`).
 * @example
 * const client = createLangSmithClient(runtime.config);
 * await evaluate(target, { data: "warden-my-dataset", evaluators, client });
 * await client.awaitPendingTraceBatches();
 */
export function createLangSmithClient(
  config: LangSmithClientConfig,
  redactor: Redactor = createRedactor({ fields: config.WARDEN_REDACT_FIELDS ?? [] }),
  overrides: Omit<ClientConfig, "anonymizer" | "hideInputs" | "hideOutputs" | "hideMetadata"> = {},
): RedactingLangSmithClient {
  return new RedactingLangSmithClient(redactor, {
    ...(config.LANGSMITH_ENDPOINT ? { apiUrl: config.LANGSMITH_ENDPOINT } : {}),
    ...(config.LANGSMITH_API_KEY ? { apiKey: config.LANGSMITH_API_KEY } : {}),
    omitTracedRuntimeInfo: true,
    tracingMode: "langsmith",
    // Root runs are never awaited at their end: a slow or unreachable LangSmith must not slow a run down.
    blockOnRootRunFinalization: false,
    ...overrides,
  });
}
