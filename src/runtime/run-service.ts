import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { GraphDeps } from "../kernel/deps.js";
import { WardenError } from "../errors.js";
import { cancelRun, recoverRun } from "../runs/stop-run.js";
import { createRun, type MultitaskStrategy } from "../runs/create-run.js";
import { applyApprovalDecision, type ApprovalDecisionInput } from "../runs/decide-run.js";
import { deliverRunWebhook } from "../runs/deliver-run-webhook.js";
import type { RunEngine } from "../runs/engine.js";
import { createRunExecutor } from "../runs/execute-run.js";
import { createHeartbeat } from "../runs/heartbeat.js";
import type { RunRegistry } from "../runs/run-control.js";
import type { RunLogger } from "../runs/run-logger.js";
import { pageApprovals, pageRuns } from "../runs/run-pages.js";
import { loadRunRecord, type RunRecord } from "../runs/run-record.js";
import type { ExecutableGraph } from "../runs/run-graph.js";
import { createSchedules } from "../runs/schedules.js";
import { createSweeper } from "../runs/sweeper.js";
import { createRunSettledSignal, waitForRun } from "../runs/wait-for-run.js";
import { checkWebhookUrl, parseWebhookUrlPolicy } from "../runs/webhooks/url-policy.js";
import { getApproval, listApprovals } from "../store/approvals.js";
import { checkpointThreadId } from "../store/checkpoint-thread.js";
import type { Store } from "../store/open-store.js";
import { releaseAllLeases } from "../store/run-leases.js";
import { getRun, type RunRow } from "../store/runs.js";
import { ensureWebhookSecret, getWebhookEndpoint, setWebhookEndpoint } from "../store/webhook-endpoints.js";
import type { RunEngineSettings, RunOptions, StartOptions } from "./run-options.js";
import { parseEnvelope, type RunEnvelope } from "./envelope.js";
import { graphInputOf, requestHash } from "./run-input.js";
import type { ReleaseCatalog } from "./release-catalog.js";
import type { RunEventHub } from "./run-events.js";
import { assertThreadOfTenant, toThreadState, type ThreadState } from "./thread-state.js";

type Envelope = ReturnType<typeof parseEnvelope>;

/**
 * The runtime's runs: creating, deciding, cancelling, recovering and reading them, over the durable execution of
 * src/runs (engine, executor, heartbeat, recovery sweep). Every public entry that changes a run goes through the
 * job engine; nothing here executes a graph itself.
 */
export function createRunService(ctx: {
  store: Store;
  env: Record<string, string | undefined>;
  deps: GraphDeps;
  graph: { getState: unknown; getStateHistory: unknown } & object;
  engine: RunEngine;
  registry: RunRegistry;
  releases: ReleaseCatalog;
  hub: RunEventHub;
  log: RunLogger;
  settings: RunEngineSettings;
  owner: string;
  durability: "sync" | "async" | "exit";
}) {
  const { store, engine, registry, settings, log } = ctx;
  const db = store.db;
  const graph = ctx.graph as unknown as ExecutableGraph;
  const stateGraph = ctx.graph as unknown as {
    getState(config: unknown): Promise<Parameters<typeof toThreadState>[1]>;
    getStateHistory(config: unknown, options: { limit: number }): AsyncIterable<Parameters<typeof toThreadState>[1]>;
  };
  const settled = createRunSettledSignal();
  const closing = new AbortController();
  // Every request waiting for a run listens to it: as many listeners as waiting requests, by design.
  setMaxListeners(0, closing.signal);
  const webhookPolicy = parseWebhookUrlPolicy(ctx.env);
  const leaseTtlMs = Math.floor(settings.leaseMs / 2);
  const executor = createRunExecutor({
    db,
    deps: ctx.deps,
    graph,
    engine,
    registry,
    owner: ctx.owner,
    settings: { leaseTtlMs, retryDelayMs: settings.retryDelayMs, durability: ctx.durability },
    log,
    isLive: (runId) => ctx.hub.has(runId),
    settled: (runId) => settled.notify(runId),
  });
  // Lease TTL = half the advertised takeover time, renewed every sixth of it; the sweep runs every tenth, so a dead
  // worker's run is claimed elsewhere well within WARDEN_RUN_LEASE_MS.
  const heartbeat = createHeartbeat({ db, owner: ctx.owner, registry, ttlMs: leaseTtlMs, intervalMs: Math.max(250, Math.floor(settings.leaseMs / 6)), log });
  const sweeper = createSweeper({ db, engine, intervalMs: Math.max(200, Math.floor(settings.leaseMs / 10)), graceMs: Math.min(2000, settings.leaseMs / 4), log });
  const schedules = createSchedules({
    db,
    log,
    start: async (schedule, _tick, idempotencyKey) => {
      await service.start(
        {
          tenant: schedule.tenant_id,
          actor: `schedule:${schedule.schedule_id}`,
          roles: ["requester"],
          goal: schedule.goal,
          ...(schedule.release_id ? { release: schedule.release_id } : {}),
          ...(schedule.context ? { context: schedule.context } : {}),
          idempotencyKey,
        },
        { mode: "background" },
        async (_envelope, release) => void (await ctx.deps.release(release)),
      );
    },
  });

  const inFlight = new Set<Promise<unknown>>();
  const localExecutions = new Set<Promise<void>>();
  let isClosing = false;
  let isWorker = false;

  /**
   * Lease a run to this process when it has a free slot: the process that creates (or resumes) a run executes it
   * itself, with no hop through the queue and no other worker racing for it; its backstop job recovers it if this
   * process dies. Without a free slot (or when this process executes nothing) the run goes to the queue.
   */
  function claimLocal(tenant: string, threadId: string) {
    if (!isWorker || isClosing || registry.runIds().length + localExecutions.size >= settings.concurrency) return undefined;
    return { owner: ctx.owner, ttlMs: leaseTtlMs, checkpointThread: checkpointThreadId(tenant, threadId) };
  }

  function executeLocally(owned: { run: RunRow; backstop: string | null } | undefined): void {
    if (!owned) return;
    const execution = executor.executeOwned(owned.run, owned.backstop).finally(() => localExecutions.delete(execution));
    localExecutions.add(execution);
  }

  const wait = (tenant: string, runId: string, timeoutMs: number) => waitForRun({ db, settled }, tenant, runId, { timeoutMs, signal: closing.signal });

  async function withEvents<T>(runId: string | undefined, options: RunOptions | undefined, work: () => Promise<T>): Promise<T> {
    const unsubscribe = runId && options?.onEvent ? ctx.hub.subscribe(runId, options.onEvent) : undefined;
    try {
      return await work();
    } finally {
      unsubscribe?.();
    }
  }

  async function resolveWebhook(tenant: string, actor: string, requested: string | undefined): Promise<string | undefined> {
    const url = requested ?? (await getWebhookEndpoint(db, tenant))?.url ?? undefined;
    if (!url) return undefined;
    checkWebhookUrl(url, webhookPolicy); // 400 WEBHOOK_URL_REFUSED before the run exists
    await ensureWebhookSecret(db, tenant, actor);
    return url;
  }

  const service = {
    schedules,
    async open(worker: boolean): Promise<void> {
      await engine.start({
        run: (job) => executor.execute(job),
        webhook: (job, attempt) => deliverRunWebhook({ db, policy: webhookPolicy, log, timeoutMs: settings.webhookTimeoutMs }, job, attempt),
        cronTick: async () => void (await schedules.tick()),
      }, worker);
      isWorker = worker;
      if (!worker) return;
      // The embedded database admits one process: a lease left in it belongs to a process that is gone.
      if (db.kind === "pglite") {
        const released = await releaseAllLeases(db);
        if (released > 0) log.info({ runs: released }, "leases of the previous process released");
      }
      heartbeat.start();
      sweeper.start();
      await sweeper.sweep().catch((error: unknown) => log.warn({ err: error }, "run recovery sweep failed"));
    },

    /** Counts an entry as in progress until it settles, so close() can wait for it; refused once closing. */
    tracked<T>(work: () => Promise<T>): Promise<T> {
      if (isClosing) return Promise.reject(new WardenError("STORE_UNAVAILABLE", "The runtime is shutting down; retry on another instance."));
      const promise = work();
      inFlight.add(promise);
      const forget = () => inFlight.delete(promise);
      promise.then(forget, forget);
      return promise;
    },

    async start(input: RunEnvelope, options: StartOptions = {}, preflight: (envelope: Envelope, release: string) => Promise<void>): Promise<RunRecord> {
      const envelope = parseEnvelope(input);
      const release = await ctx.releases.resolve(envelope.tenant, envelope.release);
      await preflight(envelope, release);
      const mode = options.mode ?? "sync";
      const strategy: MultitaskStrategy = options.multitaskStrategy ?? "reject";
      const webhook = await resolveWebhook(envelope.tenant, envelope.actor, options.webhook);
      const threadId = envelope.threadId ?? randomUUID();
      const runId = randomUUID();
      const graphInput = graphInputOf(envelope, { runId, threadId, release });
      return withEvents(runId, options, async () => {
        const created = await createRun(
          { db, engine },
          {
            tenant_id: envelope.tenant,
            run_id: runId,
            thread_id: threadId,
            actor: envelope.actor,
            release_id: release,
            input: graphInput,
            input_hash: requestHash(envelope, { mode, strategy, webhook: options.webhook }),
            mode,
            max_attempts: settings.maxAttempts,
            idempotency_key: envelope.idempotencyKey,
            webhook,
          },
          strategy,
          // A background run goes through the queue (it answers `queued`; any worker takes it); a synchronous one
          // is executed here when this process has room, since its caller waits here for it.
          mode === "sync" ? claimLocal(envelope.tenant, threadId) : undefined,
        );
        executeLocally(created.owned);
        if (created.stopLocal) registry.requestStop(created.stopLocal, strategy === "rollback" ? "rollback" : "interrupt");
        if (mode === "background") return loadRunRecord(db, envelope.tenant, created.run.run_id);
        return wait(envelope.tenant, created.run.run_id, options.waitMs ?? settings.waitMs);
      });
    },

    async decide(input: ApprovalDecisionInput, options?: RunOptions & { waitMs?: number }): Promise<RunRecord> {
      const runId = options?.onEvent ? (await getApproval(db, input.tenant, input.approvalId))?.run_id : undefined;
      return withEvents(runId, options, async () => {
        const { run, owned } = await applyApprovalDecision({ db, engine }, input, (threadId) => claimLocal(input.tenant, threadId));
        executeLocally(owned);
        return wait(input.tenant, run.run_id, options?.waitMs ?? settings.waitMs);
      });
    },

    async cancel(tenant: string, runId: string, options: { by?: string; waitMs?: number } = {}): Promise<RunRecord> {
      const run = await getRun(db, tenant, runId);
      const { requested } = await cancelRun({ db, engine }, tenant, runId, options.by ?? run?.actor ?? "unknown");
      if (!requested) return loadRunRecord(db, tenant, runId);
      // Executing here: stop it now rather than at the next heartbeat.
      registry.requestStop(runId, "cancel");
      return wait(tenant, runId, options.waitMs ?? settings.waitMs);
    },

    async recover(tenant: string, runId: string, options?: RunOptions & { waitMs?: number }): Promise<RunRecord> {
      return withEvents(runId, options, async () => {
        const run = await getRun(db, tenant, runId);
        const { owned } = await recoverRun({ db, engine }, tenant, runId, run ? claimLocal(tenant, run.thread_id) : undefined);
        executeLocally(owned);
        return wait(tenant, runId, options?.waitMs ?? settings.waitMs);
      });
    },

    wait: (tenant: string, runId: string, timeoutMs: number) => wait(tenant, runId, timeoutMs),
    getRun: (tenant: string, runId: string) => loadRunRecord(db, tenant, runId),
    listRuns: (tenant: string, filter: Parameters<typeof pageRuns>[2] = {}) => pageRuns(db, tenant, filter),

    async getTrace(tenant: string, runId: string, afterSeq?: number) {
      if (!(await getRun(db, tenant, runId))) throw new WardenError("RUN_NOT_FOUND", `Run ${runId} was not found.`);
      return ctx.deps.trace.read(tenant, runId, afterSeq);
    },

    listApprovals: (tenant: string, filter?: Parameters<typeof listApprovals>[2]) => listApprovals(db, tenant, filter),
    pageApprovals: (tenant: string, filter: Parameters<typeof pageApprovals>[2] = {}) => pageApprovals(db, tenant, filter),

    async threadState(tenant: string, threadId: string): Promise<ThreadState> {
      await assertThreadOfTenant(db, tenant, threadId);
      return toThreadState(threadId, await stateGraph.getState({ configurable: { thread_id: checkpointThreadId(tenant, threadId) } }));
    },

    async threadHistory(tenant: string, threadId: string, limit = 20): Promise<ThreadState[]> {
      await assertThreadOfTenant(db, tenant, threadId);
      const states: ThreadState[] = [];
      for await (const snapshot of stateGraph.getStateHistory({ configurable: { thread_id: checkpointThreadId(tenant, threadId) } }, { limit })) {
        states.push(toThreadState(threadId, snapshot));
      }
      return states;
    },

    webhooks: {
      get: (tenant: string) => getWebhookEndpoint(db, tenant),
      async set(tenant: string, change: { url: string | null; rotate: boolean; by: string }) {
        if (change.url !== null) checkWebhookUrl(change.url, webhookPolicy);
        return setWebhookEndpoint(db, tenant, change);
      },
    },

    sweep: () => sweeper.sweep(),

    async close(drainTimeoutMs: number): Promise<void> {
      if (isClosing) return;
      isClosing = true;
      sweeper.stop();
      // Runs executing here stop at their next step boundary and go back with a job: another worker resumes them.
      for (const runId of registry.runIds()) registry.requestStop(runId, "handback");
      // Requests waiting for a run answer with it as it is now (the client follows it with GET /v1/runs/:id/wait).
      closing.abort();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...localExecutions]), new Promise((resolve) => (timer = setTimeout(resolve, drainTimeoutMs)))]);
      clearTimeout(timer);
      await engine.stop(drainTimeoutMs);
      heartbeat.stop();
      if (inFlight.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, drainTimeoutMs)))]);
        clearTimeout(timer);
      }
    },
  };
  return service;
}
