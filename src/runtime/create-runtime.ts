import { randomUUID } from "node:crypto";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { Command } from "@langchain/langgraph";
import type { GraphDeps } from "../graph/deps.js";
import { buildRuntimeGraph } from "../graph/runtime.js";
import { WardenError } from "../errors.js";
import { applyRouteFlags, chooseRoute } from "../nodes/route.js";
import { decideApproval, listApprovals, type ApprovalRow } from "../store/approvals.js";
import { openStore, type Store } from "../store/open-store.js";
import { getRun, insertRun, isUniqueViolation, updateRun } from "../store/runs.js";
import type { ToolDefinition } from "../tools/types.js";
import type { TraceEvent } from "../trace/types.js";
import { loadConfig, type Config } from "./config.js";
import { createGraphDeps } from "./create-graph-deps.js";
import { applyApprovalDecision, type ApprovalDecisionInput } from "./decide-approval.js";
import { driveRun, type DrivableGraph, type RunTarget } from "./drive-run.js";
import { parseEnvelope, type RunEnvelope } from "./envelope.js";
import { createReleaseCatalog, type ReleaseCatalog } from "./release-catalog.js";
import { createRunEventHub } from "./run-events.js";
import { createRuntimeMemory, type RuntimeMemory } from "./runtime-memory.js";
import type { Flags } from "./flags.js";
import { loadRunRecord, type RunRecord } from "./run-record.js";
import { checkpointThreadId } from "./checkpoint-thread.js";
import { assertThreadOfTenant, toThreadState, type ThreadState } from "./thread-state.js";

export type { ApprovalDecisionInput } from "./decide-approval.js";

export interface RuntimeOptions {
  /** An open store (tests, or to share one between runtimes); otherwise opened from config and owned. */
  store?: Store;
  env?: Record<string, string | undefined>;
  model?: BaseChatModel;
  /** Overrides every release's fallback model (tests of the `model` switch). */
  fallbackModel?: BaseChatModel;
  tools?: ToolDefinition[];
  root?: string;
  /** LangGraph checkpoint durability; "async" (default) writes each step's checkpoint without blocking it. */
  durability?: "sync" | "async" | "exit";
  /** Sees every stored (redacted) trace event of every run, e.g. for metrics. A throwing listener is ignored. */
  onTraceEvent?: (event: TraceEvent) => void;
  /** Rollback switches (default: read from the store's `flags` table, at most 1 s stale). */
  flags?: Flags;
  /** How long `close()` waits for runs still in progress before it closes anyway. Default 30 s. */
  drainTimeoutMs?: number;
}

export interface RunOptions {
  /** Receives this run's trace events (already stored and redacted) while it runs. */
  onEvent?: (event: TraceEvent) => void;
}

/** The one facade the CLI, the server and the evals use to run Warden. */
export interface Runtime {
  readonly store: Store;
  readonly config: Config;
  readonly deps: GraphDeps;
  readonly graph: ReturnType<typeof compile>;
  /** Releases on disk and the active one per tenant; activating the previous one is the rollback. */
  readonly releases: ReleaseCatalog;
  /** Rollback switches (the same object the graph's nodes read). */
  readonly flags: Flags;
  /** Long-term memory per tenant and subject, under the active release's policy (the API's /v1/memory). */
  readonly memory: RuntimeMemory;
  /** Throws RUNTIME_DISABLED when a `runtime` flag is on for the tenant. */
  start(envelope: RunEnvelope, options?: RunOptions): Promise<RunRecord>;
  decide(input: ApprovalDecisionInput, options?: RunOptions): Promise<RunRecord>;
  /** Cancels a run that waits for approval: its approvals are cancelled and nothing it proposed will run. */
  cancel(tenant: string, runId: string): Promise<RunRecord>;
  /**
   * Re-runs a failed run from its last checkpoint (after a crash or an infrastructure error). Steps that had
   * already caused an effect replay it from the effect ledger instead of repeating it.
   */
  recover(tenant: string, runId: string, options?: RunOptions): Promise<RunRecord>;
  getRun(tenant: string, runId: string): Promise<RunRecord>;
  getTrace(tenant: string, runId: string, afterSeq?: number): Promise<TraceEvent[]>;
  listApprovals(tenant: string, filter?: { status?: ApprovalRow["status"]; runId?: string }): Promise<ApprovalRow[]>;
  threadState(tenant: string, threadId: string): Promise<ThreadState>;
  threadHistory(tenant: string, threadId: string, limit?: number): Promise<ThreadState[]>;
  /**
   * Stops taking runs (STORE_UNAVAILABLE), waits for the runs in progress to reach their next stable status (up to
   * `drainTimeoutMs`), then closes the store if this runtime opened it. A request whose client went away still
   * has its run going: closing under it would leave the run `running` for good.
   */
  close(): Promise<void>;
}

/** Live listeners first, then the caller's observer; an observer that throws must not break the run. */
function publishToBoth(publish: (event: TraceEvent) => void, observe: (event: TraceEvent) => void): (event: TraceEvent) => void {
  return (event) => {
    publish(event);
    try {
      observe(event);
    } catch {
      // Metrics and similar observers are best-effort.
    }
  };
}

function compile(deps: GraphDeps, store: Store) {
  return buildRuntimeGraph(async () => deps).compile({ checkpointer: store.checkpointer, name: "runtime" });
}

export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const config = loadConfig(options.env ?? process.env);
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR }));
  const hub = createRunEventHub();
  const deps = createGraphDeps({
    db: store.db,
    model: options.model,
    ...(options.fallbackModel ? { fallbackModel: options.fallbackModel } : {}),
    tools: options.tools,
    root: options.root,
    redactFields: config.WARDEN_REDACT_FIELDS,
    env: options.env ?? process.env,
    onTraceEvent: options.onTraceEvent ? publishToBoth(hub.publish, options.onTraceEvent) : hub.publish,
    ...(options.flags ? { flags: options.flags } : {}),
  });
  const releases = createReleaseCatalog({ db: store.db, deps, defaultRelease: config.WARDEN_RELEASE, root: options.root });
  const graph = compile(deps, store);
  const durability = options.durability ?? "async";

  async function drive(target: RunTarget, input: unknown, runOptions: RunOptions = {}): Promise<RunRecord> {
    const unsubscribe = runOptions.onEvent ? hub.subscribe(target.runId, runOptions.onEvent) : undefined;
    try {
      return await driveRun({ db: store.db, deps, graph: graph as unknown as DrivableGraph, durability, live: unsubscribe !== undefined }, target, input);
    } finally {
      unsubscribe?.();
    }
  }

  const inFlight = new Set<Promise<unknown>>();
  let closing = false;
  /** Counts a start/decide/recover as in progress until it settles, so close() can wait for it. */
  function tracked<T>(work: () => Promise<T>): Promise<T> {
    if (closing) return Promise.reject(new WardenError("STORE_UNAVAILABLE", "The runtime is shutting down; retry on another instance."));
    const promise = work();
    inFlight.add(promise);
    const forget = () => inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** A tenant whose runtime is switched off neither starts nor resumes runs. */
  async function assertRuntimeEnabled(tenant: string): Promise<void> {
    const flag = (await deps.flags.forTenant(tenant)).find("runtime");
    if (flag) {
      throw new WardenError("RUNTIME_DISABLED", `The runtime is switched off for tenant ${tenant}${flag.reason ? `: ${flag.reason}` : ""}.`, {
        details: { scope: flag.tenant_id === "*" ? "global" : "tenant" },
      });
    }
  }

  async function runOf(tenant: string, runId: string) {
    const run = await getRun(store.db, tenant, runId);
    if (!run) throw new WardenError("RUN_NOT_FOUND", `Run ${runId} was not found.`);
    return run;
  }

  return {
    store,
    config,
    deps,
    graph,
    releases,
    flags: deps.flags,
    memory: createRuntimeMemory(deps, releases),

    start: (input, runOptions) => tracked(async () => {
      const envelope = parseEnvelope(input);
      await assertRuntimeEnabled(envelope.tenant);
      const release = await releases.resolve(envelope.tenant, envelope.release);
      const loaded = await deps.release(release); // unknown or invalid release: a typed error before anything is stored
      // A route switched off with no fallback is refused here, before a run exists (the route node checks again).
      const routed = applyRouteFlags(chooseRoute(envelope.goal, envelope.context), await deps.flags.forTenant(envelope.tenant), loaded.release.workflow);
      if (routed.refusal) throw routed.refusal;
      const threadId = envelope.threadId ?? randomUUID();
      const runId = randomUUID();
      try {
        await insertRun(store.db, { tenant_id: envelope.tenant, run_id: runId, thread_id: threadId, actor: envelope.actor, release_id: release, idempotency_key: envelope.idempotencyKey });
      } catch (error) {
        if (isUniqueViolation(error)) throw new WardenError("THREAD_BUSY", `Thread ${threadId} has a run that is still active.`);
        throw error;
      }
      const graphInput = {
        run_id: runId,
        thread_id: threadId,
        tenant: envelope.tenant,
        actor: envelope.actor,
        roles: envelope.roles,
        goal: envelope.goal,
        release,
        context: envelope.context ?? {},
        // Only when given (each input key is a checkpoint write); intake drops a subject a previous run left.
        ...(envelope.subject ? { subject: envelope.subject, subject_run: runId } : {}),
      };
      return drive({ tenant: envelope.tenant, runId, threadId, release }, graphInput, runOptions);
    }),

    decide: (input, runOptions) => tracked(async () => {
      await assertRuntimeEnabled(input.tenant);
      const { approval, run } = await applyApprovalDecision(store.db, input);
      await updateRun(store.db, input.tenant, run.run_id, { status: "running" });
      const resume = { approval_id: approval.approval_id, decision: input.decision, approver: input.approver, comment: input.comment, args_hash: approval.args_hash };
      return drive({ tenant: input.tenant, runId: run.run_id, threadId: run.thread_id, release: run.release_id }, new Command({ resume }), runOptions);
    }),

    async cancel(tenant, runId) {
      const run = await runOf(tenant, runId);
      if (run.status !== "waiting_approval") throw new WardenError("RUN_NOT_WAITING", `Run ${runId} is ${run.status}; only a waiting run can be cancelled.`);
      for (const approval of await listApprovals(store.db, tenant, { runId, status: "pending" })) {
        // The same conditional update as a decision: a cancel racing an approver cannot both win.
        const won = await decideApproval(store.db, tenant, approval.approval_id, { status: "cancelled", decidedBy: run.actor });
        if (!won) throw new WardenError("APPROVAL_CONFLICT", `Approval ${approval.approval_id} was decided before the cancel.`);
      }
      await updateRun(store.db, tenant, runId, { status: "cancelled" });
      return loadRunRecord(store.db, tenant, runId);
    },

    recover: (tenant, runId, runOptions) => tracked(async () => {
      await assertRuntimeEnabled(tenant);
      const run = await runOf(tenant, runId);
      if (run.status !== "failed") throw new WardenError("RUN_NOT_FAILED", `Run ${runId} is ${run.status}, not failed.`);
      await updateRun(store.db, tenant, runId, { status: "running" });
      // A null input resumes the thread from its last checkpoint: LangGraph re-runs the step that failed.
      return drive({ tenant, runId, threadId: run.thread_id, release: run.release_id }, null, runOptions);
    }),

    getRun: (tenant, runId) => loadRunRecord(store.db, tenant, runId),

    async getTrace(tenant, runId, afterSeq) {
      await runOf(tenant, runId);
      return deps.trace.read(tenant, runId, afterSeq);
    },

    listApprovals: (tenant, filter) => listApprovals(store.db, tenant, filter),

    async threadState(tenant, threadId) {
      await assertThreadOfTenant(store.db, tenant, threadId);
      return toThreadState(threadId, await graph.getState({ configurable: { thread_id: checkpointThreadId(tenant, threadId) } }));
    },

    async threadHistory(tenant, threadId, limit = 20) {
      await assertThreadOfTenant(store.db, tenant, threadId);
      const states: ThreadState[] = [];
      for await (const snapshot of graph.getStateHistory({ configurable: { thread_id: checkpointThreadId(tenant, threadId) } }, { limit })) {
        states.push(toThreadState(threadId, snapshot));
      }
      return states;
    },

    async close() {
      closing = true;
      if (inFlight.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.drainTimeoutMs ?? 30_000)));
        await Promise.race([Promise.allSettled([...inFlight]), timeout]);
        clearTimeout(timer);
      }
      if (ownsStore) await store.close();
    },
  };
}
