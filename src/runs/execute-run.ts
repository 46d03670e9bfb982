import type { GraphDeps } from "../kernel/deps.js";
import { isWardenError } from "../errors.js";
import { checkpointThreadId } from "../store/checkpoint-thread.js";
import type { Db } from "../store/db.js";
import { claimRun, releaseRun, type Fence, type RunOutcome } from "../store/run-leases.js";
import type { RunRow } from "../store/runs.js";
import { isStoreUnavailable } from "../store/store-errors.js";
import type { RunEngine, RunJob } from "./engine.js";
import { finalizeRun } from "./finalize-run.js";
import { resolveRunInput } from "./resolve-run-input.js";
import { isRunStopped, type RunRegistry, type StopReason } from "./run-control.js";
import type { RunLogger } from "./run-logger.js";
import { runGraph, type ExecutableGraph } from "./run-graph.js";
import { runObserverOf, type ExecutionResult, type RunExecution, type RunObservation } from "../trace/run-observer.js";

export interface RunSettings {
  /** How long a claimed lease lasts without a heartbeat. */
  leaseTtlMs: number;
  /** First backoff after a failed attempt; doubles per attempt (capped at a minute). */
  retryDelayMs: number;
  durability: "sync" | "async" | "exit";
}

export interface RunExecutor {
  /** A job's execution: claims the lease first (nothing happens unless this process wins it). */
  execute(job: RunJob): Promise<void>;
  /** A run this process leased when it created or resumed it; `backstop` is the recovery job to cancel after. */
  executeOwned(run: RunRow, backstop: string | null): Promise<void>;
}

/**
 * Errors that another attempt cannot fix: the run fails at once instead of being retried. Everything else (a model
 * or tool provider failing, a bug that may be a race, the database going away) is retried with backoff.
 */
const PERMANENT_CODES = new Set(["ROUTE_DISABLED", "RELEASE_NOT_FOUND", "RELEASE_INVALID", "POLICY_INVALID", "ENVELOPE_INVALID"]);

const STOP_STATUS = { cancel: "cancelled", interrupt: "interrupted", rollback: "rolled_back" } as const;

function backoffMs(base: number, attempt: number): number {
  return Math.min(60_000, base * 2 ** Math.max(0, attempt - 1));
}

function errorInfo(error: unknown): { code: string; message: string } {
  return { code: isWardenError(error) ? error.code : "RUN_FAILED", message: error instanceof Error ? error.message : String(error) };
}

/** Whether a failed attempt gets another (see `failed`). */
function willRetry(run: RunRow, code: string): boolean {
  return !PERMANENT_CODES.has(code) && run.attempts < run.max_attempts;
}

/** Which execution of the run this is, for observers (tracing). */
function executionKind(run: RunRow, input: unknown): RunExecution["kind"] {
  if (input === run.input) return "start";
  return input === null ? "continue" : "resume";
}

/**
 * Executes one run job: claims the run's lease (nothing happens unless this process wins it), works out from the
 * run's row and its thread what the next step is (start, resume an approval, continue after a crash, or nothing),
 * runs the graph with the lease renewed by the heartbeat, and records the outcome fenced by the lease token.
 * Completed effects are replayed from the effect ledger when a step runs again (invariant 2).
 */
export function createRunExecutor(ctx: {
  db: Db;
  deps: GraphDeps;
  graph: ExecutableGraph;
  engine: RunEngine;
  registry: RunRegistry;
  owner: string;
  settings: RunSettings;
  log: RunLogger;
  /** True when a listener in this process follows the run (stream step by step). */
  isLive(runId: string): boolean;
  /** The run's status may have changed: wake whoever waits for it here. */
  settled(runId: string): void;
}): RunExecutor {
  const { db, deps, registry, owner, settings, log } = ctx;

  async function stopped(run: RunRow, fence: Fence, reason: StopReason): Promise<void> {
    if (reason === "lease_lost") return; // the new owner records the outcome
    if (reason === "handback") {
      // Shutting down: the run goes back as it is, with a job so another worker resumes it at once.
      await db.transaction(async (tx) => {
        if (await releaseRun(tx, fence, { retryAfterMs: 0 })) {
          await ctx.engine.sendRun({ tenant: run.tenant_id, run_id: run.run_id, thread_id: run.thread_id, intent: "recover" }, { tx });
        }
      });
      log.info({ run_id: run.run_id }, "run handed back at shutdown");
      return;
    }
    await finalizeRun(ctx, run, fence, { status: STOP_STATUS[reason], route: null, answer: null });
  }

  async function failed(run: RunRow, fence: Fence, error: unknown): Promise<void> {
    const { code, message } = errorInfo(error);
    const trace = deps.trace.forRun({ tenant: run.tenant_id, runId: run.run_id, release: run.release_id });
    if (willRetry(run, code)) {
      const delay = backoffMs(settings.retryDelayMs, run.attempts);
      await deps.trace.release(run.run_id).catch(() => {});
      await db.transaction(async (tx) => {
        if (await releaseRun(tx, fence, { retryAfterMs: delay, error: { code, message } })) {
          await ctx.engine.sendRun({ tenant: run.tenant_id, run_id: run.run_id, thread_id: run.thread_id, intent: "recover" }, { tx, startAfterMs: delay });
        }
      });
      log.warn({ run_id: run.run_id, attempt: run.attempts, max_attempts: run.max_attempts, retry_in_ms: delay, error_code: code }, "run attempt failed; retrying");
      return;
    }
    trace.emit("run.failed", { error_code: code, error_message: message });
    await deps.trace.release(run.run_id);
    await finalizeRun(ctx, run, fence, { status: "failed", error: { code, message } });
  }

  /** Tracing of an execution starts here; a tracer that fails must not fail the run, so it is then left out. */
  function beginObservation(run: RunRow, input: unknown): RunObservation | undefined {
    try {
      return runObserverOf(deps)?.begin({ run, kind: executionKind(run, input) });
    } catch (error) {
      log.warn({ run_id: run.run_id, err: error }, "run tracing could not start");
      return undefined;
    }
  }

  async function endObservation(run: RunRow, observation: RunObservation, result: ExecutionResult): Promise<void> {
    try {
      await observation.end(result);
    } catch (error) {
      log.warn({ run_id: run.run_id, err: error }, "run tracing failed");
    }
  }

  async function execute(job: RunJob): Promise<void> {
    const checkpointThread = checkpointThreadId(job.tenant, job.thread_id);
    const claim = await claimRun(db, { tenant: job.tenant, runId: job.run_id, owner, ttlMs: settings.leaseTtlMs, checkpointThread });
    if (!("claimed" in claim)) return; // finished, executing elsewhere, or queued behind its thread's active run
    await runClaimed(claim.claimed);
  }

  /** Runs a claimed run to its outcome. False when nothing could be recorded (lost lease, database outage). */
  async function runClaimed(run: RunRow): Promise<boolean> {
    const checkpointThread = checkpointThreadId(run.tenant_id, run.thread_id);
    const fence: Fence = { tenant: run.tenant_id, runId: run.run_id, owner, token: Number(run.lease_token) };
    registry.begin(run.run_id, fence.token);
    // Tracing of this execution (LangSmith, OTLP), when configured; ended in `finally`, after the trace is released.
    let observation: RunObservation | undefined;
    let observed: ExecutionResult = { status: "failed", route: null };
    try {
      if (run.attempts > run.max_attempts) {
        const last = run.error ? `; last error: ${run.error.message}` : "; the process executing it stopped each time";
        const message = `gave up after ${run.max_attempts} attempts${last}`;
        deps.trace.forRun({ tenant: run.tenant_id, runId: run.run_id, release: run.release_id }).emit("run.failed", { error_code: "RUN_ATTEMPTS_EXHAUSTED", error_message: message });
        await deps.trace.release(run.run_id);
        await finalizeRun(ctx, run, fence, { status: "failed", error: { code: "RUN_ATTEMPTS_EXHAUSTED", message } });
        return true;
      }
      if (run.stop_requested) {
        await stopped(run, fence, run.stop_requested);
        return true;
      }
      const next = await resolveRunInput({ db, graph: ctx.graph }, run, checkpointThread, fence.token);
      let outcome: RunOutcome;
      if (next.kind === "waiting") {
        outcome = { status: "waiting_approval", answer: null };
      } else {
        if (next.kind === "graph") observation = beginObservation(run, next.input);
        const result =
          next.kind === "finished"
            ? { values: next.values, waiting: false }
            : await runGraph(
                ctx.graph,
                {
                  checkpointThread,
                  durability: settings.durability,
                  live: ctx.isLive(run.run_id),
                  trace: deps.trace.forRun({ tenant: run.tenant_id, runId: run.run_id, release: run.release_id }),
                  ...(observation?.config ? { config: observation.config } : {}),
                },
                next.input,
              );
        outcome = outcomeOf(result.values, result.waiting);
      }
      observed = { status: outcome.status, route: outcome.route ?? null, answer: outcome.answer ?? null };
      // The trace is complete before the outcome is visible: whoever reads the finished run reads all its events.
      await deps.trace.release(run.run_id);
      if (registry.stopReason(run.run_id) === "lease_lost") return false;
      return await finalizeRun(ctx, run, fence, outcome);
    } catch (error) {
      const stop = isRunStopped(error) ? error.reason : isRunStopped((error as { cause?: unknown })?.cause) ? registry.stopReason(run.run_id) : undefined;
      if (observation) {
        const info = errorInfo(error);
        observed = stop
          ? { status: stop === "handback" || stop === "lease_lost" ? stop : STOP_STATUS[stop], route: null }
          : isStoreUnavailable(error)
            ? { status: "retrying", route: null, error: { code: "STORE_UNAVAILABLE", message: info.message } }
            : { status: willRetry(run, info.code) ? "retrying" : "failed", route: null, error: info };
      }
      if (stop) {
        await deps.trace.release(run.run_id).catch(() => {});
        await stopped(run, fence, stop);
        return stop !== "lease_lost";
      }
      if (isStoreUnavailable(error)) {
        await deps.trace.release(run.run_id).catch(() => {});
        // Only this connection may be gone (a terminated backend): then the run is given back for a retry now.
        // With the database down this fails too; the lease runs out and a worker recovers the run when it is back.
        const released = await db
          .transaction(async (tx) => {
            if (!(await releaseRun(tx, fence, { retryAfterMs: settings.retryDelayMs, error: { code: "STORE_UNAVAILABLE", message: "the database connection was lost" } }))) return false;
            await ctx.engine.sendRun({ tenant: run.tenant_id, run_id: run.run_id, thread_id: run.thread_id, intent: "recover" }, { tx, startAfterMs: settings.retryDelayMs });
            return true;
          })
          .catch(() => false);
        log.warn({ run_id: run.run_id, err: error, retried: released }, "run interrupted by a lost database connection; it is recovered when the database answers");
        return released;
      }
      await failed(run, fence, error);
      return true;
    } finally {
      // Before waiters wake: whoever reads the finished run and then closes the runtime flushes this execution too.
      if (observation) await endObservation(run, observation, observed);
      registry.end(run.run_id);
      ctx.settled(run.run_id);
    }
  }

  return {
    async execute(job) {
      try {
        await execute(job);
      } catch (error) {
        // Recording the outcome failed (the database went away mid-way): the lease expires and the run is recovered.
        log.warn({ run_id: job.run_id, err: error }, "run execution could not record its outcome");
        ctx.settled(job.run_id);
      }
    },
    async executeOwned(run, backstop) {
      let recorded = false;
      try {
        recorded = await runClaimed(run);
      } catch (error) {
        log.warn({ run_id: run.run_id, err: error }, "run execution could not record its outcome");
        ctx.settled(run.run_id);
      }
      // The outcome is recorded (or handed back with a job of its own): the dead man's switch is not needed.
      // Otherwise it stays: it is what recovers the run once the lease runs out.
      if (backstop && recorded) await ctx.engine.cancelBackstop(backstop).catch((error: unknown) => log.warn({ err: error }, "backstop job could not be cancelled"));
    },
  };
}

/** The run's outcome as the graph's final state says. */
export function outcomeOf(values: Record<string, unknown>, waiting: boolean): RunOutcome {
  if (waiting) return { status: "waiting_approval", route: (values.routed_to as string | undefined) ?? null, answer: null };
  const denial = values.denial as RunOutcome["denial"];
  return {
    status: (values.status as RunOutcome["status"] | undefined) ?? "completed",
    route: (values.routed_to as string | undefined) ?? null,
    answer: (values.answer as string | undefined) ?? null,
    ...(denial ? { denial } : {}),
  };
}
