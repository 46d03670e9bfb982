import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { GraphDeps } from "../kernel/deps.js";
import { buildRuntimeGraph } from "../graph/runtime.js";
import { WardenError } from "../errors.js";
import { composePacks } from "../kernel/composition.js";
import type { Pack } from "../kernel/pack.js";
import { applyRouteFlags } from "../kernel/route-flags.js";
import { createRunEngine } from "../runs/engine.js";
import type { ApprovalDecisionInput } from "../runs/decide-run.js";
import { createRunRegistry } from "../runs/run-control.js";
import { silentLogger, type RunLogger } from "../runs/run-logger.js";
import type { RunRecord } from "../runs/run-record.js";
import { combineRunObservers, observeRuns } from "../trace/run-observer.js";
import type { RunSummary, RunPage, ApprovalPage } from "../runs/run-pages.js";
import type { Schedules } from "../runs/schedules.js";
import { type ApprovalRow } from "../store/approvals.js";
import { openStore, type Store } from "../store/open-store.js";
import { prepareSchema } from "../store/prepare-schema.js";
import type { RunStatus } from "../contracts/run-status.js";
import type { WebhookEndpointRow } from "../store/webhook-endpoints.js";
import type { ToolDefinition } from "../tools/types.js";
import { createLangSmithTracing } from "../trace/langsmith-tracing.js";
import { createOtelRunExportFromConfig } from "../trace/otel-exporter.js";
import { createRedactor } from "../trace/redact.js";
import type { TraceEvent } from "../trace/types.js";
import { loadConfig, type Config } from "./config.js";
import { createGraphDeps } from "./create-graph-deps.js";
import type { RunEnvelope } from "./envelope.js";
import { createReleaseCatalog, type ReleaseCatalog } from "./release-catalog.js";
import { createRunEventHub } from "./run-events.js";
import { createRuntimeMemory, type RuntimeMemory } from "./runtime-memory.js";
import type { Flags } from "../kernel/flags.js";
import { createRunService } from "./run-service.js";
import { flushWithin, publishToBoth } from "./trace-plumbing.js";
import { loadWardenConfig } from "./warden-config.js";
import type { ThreadState } from "./thread-state.js";

import type { RunEngineSettings, RunOptions, StartOptions } from "./run-options.js";

export type { ApprovalDecisionInput } from "../runs/decide-run.js";
export type { RunEngineSettings, RunOptions, StartOptions } from "./run-options.js";
export type { MultitaskStrategy } from "../runs/create-run.js";

export interface RuntimeOptions {
  /**
   * An open store (tests, or to share one between runtimes); otherwise opened from config and owned. Either way
   * the packs' migrations are applied to it and their seeds run on an empty database.
   */
  store?: Store;
  env?: Record<string, string | undefined>;
  model?: BaseChatModel;
  /** Overrides every release's fallback model (tests of the `model` switch). */
  fallbackModel?: BaseChatModel;
  /** The packs to run; default: those of `warden.config.ts` (the composition root). */
  packs?: Pack[];
  /** Replaces the packs' tools (tests: tools that fail on purpose). */
  tools?: ToolDefinition[];
  /** Where releases/, prompts/, policies/ are read from; default: the packs' data folder. */
  root?: string;
  /** LangGraph checkpoint durability; "async" (default) writes each step's checkpoint without blocking it. */
  durability?: "sync" | "async" | "exit";
  /** Sees every stored (redacted) trace event of every run, e.g. for metrics. A throwing listener is ignored. */
  onTraceEvent?: (event: TraceEvent) => void;
  /** Rollback switches (default: read from the store's `flags` table, at most 1 s stale). */
  flags?: Flags;
  /** How long `close()` waits for the runs executing here to reach a step boundary and be handed back. Default 30 s. */
  drainTimeoutMs?: number;
  /** Where durable execution logs recoveries, retries and engine errors (default: nowhere). */
  log?: RunLogger;
  /** Overrides of the WARDEN_RUN_* settings (tests: short leases and retry delays). */
  runs?: Partial<RunEngineSettings>;
  /** Execute runs in this process (default true). False: only create them; other workers execute them. */
  worker?: boolean;
}

/** The one facade the CLI, the server and the evals use to run Warden. */
export interface Runtime {
  readonly store: Store;
  /** The environment's settings; `WARDEN_RELEASE` resolved (env, warden.config.ts, or the first pack's release). */
  readonly config: Config & { WARDEN_RELEASE: string };
  readonly deps: GraphDeps;
  readonly graph: ReturnType<typeof compile>;
  /** Releases on disk and the active one per tenant; activating the previous one is the rollback. */
  readonly releases: ReleaseCatalog;
  /** Rollback switches (the same object the graph's nodes read). */
  readonly flags: Flags;
  /** Long-term memory per tenant and subject, under the active release's policy (the API's /v1/memory). */
  readonly memory: RuntimeMemory;
  /** Cron schedules of goals (POST /v1/schedules); `tick()` starts the due ones (the engine calls it each minute). */
  readonly schedules: Schedules;
  /**
   * Creates a run and (mode `sync`, the default) waits until it finishes or waits for an approval; a run still in
   * progress after `waitMs` is returned as it is (`queued` / `running`). The same idempotency key returns the same
   * run, never a second one. Throws RUNTIME_DISABLED when a `runtime` flag is on for the tenant.
   */
  start(envelope: RunEnvelope, options?: StartOptions): Promise<RunRecord>;
  /** Applies an approval decision and waits for the resumed run (its job commits with the decision). */
  decide(input: ApprovalDecisionInput, options?: RunOptions & { waitMs?: number }): Promise<RunRecord>;
  /**
   * Cancels a run that has not finished: at once when nothing executes it (waiting for approval, queued), else at its
   * next step boundary. Throws RUN_FINISHED for a finished run.
   */
  cancel(tenant: string, runId: string, options?: { by?: string; waitMs?: number }): Promise<RunRecord>;
  /** Retries a failed run from its last checkpoint with a fresh set of attempts; completed effects replay from the ledger. */
  recover(tenant: string, runId: string, options?: RunOptions & { waitMs?: number }): Promise<RunRecord>;
  /** Waits up to `timeoutMs` for a stable status (waiting for approval, or final) and returns the run either way. */
  wait(tenant: string, runId: string, timeoutMs: number): Promise<RunRecord>;
  getRun(tenant: string, runId: string): Promise<RunRecord>;
  /**
   * Listens to a run's stored trace events as this process stores them (an execution here then flushes step by
   * step). Events of an execution in another process are not seen: read them with `getTrace`.
   */
  subscribe(runId: string, listener: (event: TraceEvent) => void): () => void;
  listRuns(tenant: string, filter?: { status?: RunStatus; threadId?: string; limit?: number; cursor?: string }): Promise<RunPage>;
  getTrace(tenant: string, runId: string, afterSeq?: number): Promise<TraceEvent[]>;
  listApprovals(tenant: string, filter?: { status?: ApprovalRow["status"]; runId?: string }): Promise<ApprovalRow[]>;
  pageApprovals(tenant: string, filter?: { status?: ApprovalRow["status"]; runId?: string; limit?: number; cursor?: string }): Promise<ApprovalPage>;
  threadState(tenant: string, threadId: string): Promise<ThreadState>;
  threadHistory(tenant: string, threadId: string, limit?: number): Promise<ThreadState[]>;
  /** The tenant's webhook settings (default URL, signing secret). */
  webhooks: {
    get(tenant: string): Promise<WebhookEndpointRow | undefined>;
    set(tenant: string, change: { url: string | null; rotate: boolean; by: string }): Promise<WebhookEndpointRow>;
  };
  /** Sends runs nobody executes (dead owner, lost job) for recovery now, instead of at the next sweep. */
  sweep(): Promise<number>;
  /**
   * Stops taking runs (STORE_UNAVAILABLE), hands the runs executing here back at their next step boundary (another
   * worker resumes them at once; a single process at its next start), answers waiting requests with the run as it
   * is, then closes the store if this runtime opened it.
   */
  close(): Promise<void>;
}

export type { RunSummary, RunPage, ApprovalPage };

function compile(deps: GraphDeps, store: Store) {
  return buildRuntimeGraph(async () => deps, deps.composition).compile({ checkpointer: store.checkpointer, name: "runtime" });
}

export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const composed = options.packs ? undefined : await loadWardenConfig();
  const composition = options.packs ? composePacks(options.packs) : composed!.composition;
  const defaultRelease = config.WARDEN_RELEASE ?? composed?.release ?? composition.defaultRelease;
  if (defaultRelease === undefined) {
    throw new WardenError("CONFIG_INVALID", "No default release: set WARDEN_RELEASE, `release` in warden.config.ts, or `releases` in a pack.");
  }
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await openStore({ ...(composed?.store ?? { databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR }), packs: composition.packs }));
  // A store handed in may hold only the core's tables (or another pack set's): the packs run here get theirs.
  if (!ownsStore) await prepareSchema(store.db, composition.packs);
  const log = options.log ?? silentLogger;
  const hub = createRunEventHub();
  const registry = createRunRegistry();
  // Observability (docs/observability.md): both undefined unless configured, and then no run pays for them.
  const redactor = createRedactor({ fields: config.WARDEN_REDACT_FIELDS });
  const langsmith = createLangSmithTracing(config, redactor);
  const otel = createOtelRunExportFromConfig(config, redactor, new Set(composition.workflows.map((workflow) => workflow.node)));
  const observeEvent = otel ? (options.onTraceEvent ? publishToBoth(otel.onEvent, options.onTraceEvent) : otel.onEvent) : options.onTraceEvent;
  const deps = createGraphDeps({
    db: store.db,
    composition,
    model: options.model ?? composed?.model,
    ...(options.fallbackModel ? { fallbackModel: options.fallbackModel } : {}),
    tools: options.tools,
    root: options.root,
    redactFields: config.WARDEN_REDACT_FIELDS,
    redactor,
    traceToolRuns: langsmith !== undefined,
    env,
    onTraceEvent: observeEvent ? publishToBoth(hub.publish, observeEvent) : hub.publish,
    ...(options.flags ? { flags: options.flags } : {}),
    runControl: registry,
  });
  observeRuns(deps, combineRunObservers([langsmith?.observer, otel?.observer]));
  const flushTraces = () => flushWithin(config.WARDEN_TRACE_FLUSH_TIMEOUT_MS, [langsmith?.flush(), otel?.shutdown()]);
  const releases = createReleaseCatalog({ db: store.db, deps, defaultRelease, root: options.root ?? composition.root, tools: options.tools ?? composition.tools });
  const graph = compile(deps, store);
  const settings: RunEngineSettings = {
    leaseMs: config.WARDEN_RUN_LEASE_MS,
    maxAttempts: config.WARDEN_RUN_MAX_ATTEMPTS,
    retryDelayMs: config.WARDEN_RUN_RETRY_DELAY_MS,
    concurrency: config.WARDEN_RUN_CONCURRENCY,
    pollMs: config.WARDEN_RUN_POLL_MS,
    waitMs: config.WARDEN_RUN_WAIT_MS,
    webhookAttempts: config.WARDEN_WEBHOOK_MAX_ATTEMPTS,
    webhookTimeoutMs: 10_000,
    ...options.runs,
  };
  const engine = createRunEngine({
    db: store.db,
    settings: { concurrency: settings.concurrency, pollMs: settings.pollMs, webhookAttempts: settings.webhookAttempts, timekeeping: options.worker ?? true },
    log,
  });
  const service = createRunService({
    store,
    env,
    deps,
    graph,
    engine,
    registry,
    releases,
    hub,
    log,
    settings,
    owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    durability: options.durability ?? "async",
  });

  /** A tenant whose runtime is switched off neither starts nor resumes runs. */
  async function assertRuntimeEnabled(tenant: string): Promise<void> {
    const flag = (await deps.flags.forTenant(tenant)).find("runtime");
    if (flag) {
      throw new WardenError("RUNTIME_DISABLED", `The runtime is switched off for tenant ${tenant}${flag.reason ? `: ${flag.reason}` : ""}.`, {
        details: { scope: flag.tenant_id === "*" ? "global" : "tenant" },
      });
    }
  }

  try {
    await service.open(options.worker ?? true);
  } catch (error) {
    await flushTraces();
    if (ownsStore) await store.close().catch(() => {});
    throw error;
  }

  return {
    store,
    config: { ...config, WARDEN_RELEASE: defaultRelease },
    deps,
    graph,
    releases,
    flags: deps.flags,
    memory: createRuntimeMemory(deps, releases),
    schedules: service.schedules,

    start: (input, startOptions) =>
      service.tracked(async () => {
        const tenant = (input as { tenant?: unknown }).tenant;
        if (typeof tenant === "string") await assertRuntimeEnabled(tenant);
        return service.start(input, startOptions, async (envelope, release) => {
          const loaded = await deps.release(release); // unknown or invalid release: a typed error before anything is stored
          // A route switched off with no fallback is refused here, before a run exists (the route node checks again).
          // Rules only: a request they leave to the model is checked as the default agent's (the model is asked once, at the step).
          const routed = applyRouteFlags(deps.composition.route(envelope.goal, envelope.context), await deps.flags.forTenant(envelope.tenant), loaded.routes);
          if (routed.refusal) throw routed.refusal;
        });
      }),

    decide: (input, decideOptions) =>
      service.tracked(async () => {
        await assertRuntimeEnabled(input.tenant);
        return service.decide(input, decideOptions);
      }),

    cancel: (tenant, runId, cancelOptions) => service.tracked(() => service.cancel(tenant, runId, cancelOptions)),

    recover: (tenant, runId, recoverOptions) =>
      service.tracked(async () => {
        await assertRuntimeEnabled(tenant);
        return service.recover(tenant, runId, recoverOptions);
      }),

    wait: (tenant, runId, timeoutMs) => service.wait(tenant, runId, timeoutMs),
    getRun: (tenant, runId) => service.getRun(tenant, runId),
    subscribe: (runId, listener) => hub.subscribe(runId, listener),
    listRuns: (tenant, filter) => service.listRuns(tenant, filter),
    getTrace: (tenant, runId, afterSeq) => service.getTrace(tenant, runId, afterSeq),
    listApprovals: (tenant, filter) => service.listApprovals(tenant, filter),
    pageApprovals: (tenant, filter) => service.pageApprovals(tenant, filter),
    threadState: (tenant, threadId) => service.threadState(tenant, threadId),
    threadHistory: (tenant, threadId, limit) => service.threadHistory(tenant, threadId, limit),
    webhooks: service.webhooks,
    sweep: () => service.sweep(),

    async close() {
      await service.close(options.drainTimeoutMs ?? 30_000);
      // Pending LangSmith batches and OTLP spans go out before the process may exit (bounded: a dead collector
      // must not hold a shutdown).
      await flushTraces();
      if (ownsStore) await store.close();
    },
  };
}
