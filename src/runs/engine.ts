import PgBoss from "pg-boss";
import type { Db, Transaction } from "../store/db.js";
import { lockJobEngineInstall } from "../store/job-engine.js";
import { bossDb, jobsSchemaOf } from "./boss-db.js";
import { createJobPump, type JobPump } from "./job-pump.js";
import type { RunLogger } from "./run-logger.js";

/**
 * Executions of runs: starts, resumes after a decision, recoveries. At most one job per run waits (policy `short`:
 * one `created` job per singleton key). Not `stately`, which also allows one `active` job per key: the job of a
 * worker that was SIGKILLed stays `active` until it expires (an hour), so the run's recovery job could never be
 * fetched, and pg-boss's fetch, which then fails on the unique index and returns nothing, stalled the whole queue
 * behind it. The run's lease, not the job, decides who executes a run.
 */
export const RUN_QUEUE = "warden-runs";
/** One job per webhook event; pg-boss retries it with exponential backoff. */
export const WEBHOOK_QUEUE = "warden-webhooks";
/** pg-boss's cron sends one job a minute here, once across all workers; it starts the schedules that are due. */
export const CRON_QUEUE = "warden-cron";

export interface RunJob {
  tenant: string;
  run_id: string;
  thread_id: string;
  /** Why the job exists; the executor decides from the run's row and its thread what to do. */
  intent: "start" | "resume" | "recover" | "stop";
}

export interface WebhookJob {
  tenant: string;
  run_id: string;
  event_id: string;
  event_type: string;
  url: string;
  /** The exact bytes delivered (and signed) on every attempt. */
  body: string;
}

export interface EngineSettings {
  /** Runs this process executes at once. */
  concurrency: number;
  /** Idle poll of the run queue. */
  pollMs: number;
  /** Delivery attempts of one webhook event (pg-boss retryLimit + 1). */
  webhookAttempts: number;
  /** Whether this process executes jobs and runs pg-boss's cron and maintenance; false: it only sends jobs. */
  timekeeping: boolean;
}

export interface EngineHandlers {
  run(job: RunJob): Promise<void>;
  webhook(job: WebhookJob, attempt: { retryCount: number; retryLimit: number }): Promise<void>;
  cronTick(): Promise<void>;
}

export interface RunEngine {
  readonly boss: PgBoss;
  /** Installs pg-boss's schema and queues; with `consume` (default) this process also executes jobs. */
  start(handlers: EngineHandlers, consume?: boolean): Promise<void>;
  /**
   * Sends a run job, inside `tx` when given (it then commits with the caller's writes). At most one such job waits
   * per run: a second send while one waits is a no-op. Call `wake()` after the commit.
   */
  sendRun(job: RunJob, options?: { tx?: Transaction; startAfterMs?: number }): Promise<void>;
  /**
   * A dead man's switch for a run this process executes itself: a job that becomes fetchable only once the run's
   * lease could have run out (`afterMs`), so if this process dies the engine recovers the run; cancel it when done.
   * Kept apart from the run's other jobs (its own singleton key), so it never blocks a retry or a handback.
   */
  sendBackstop(job: RunJob, afterMs: number, tx?: Transaction): Promise<string | null>;
  /** Cancels a backstop that is no longer needed (the run reached its outcome here). */
  cancelBackstop(jobId: string): Promise<void>;
  sendWebhook(job: WebhookJob, tx?: Transaction): Promise<void>;
  /** Fetch run jobs now (one was just committed by this process). */
  wake(): void;
  /** Runs executing in this process. */
  readonly activeRuns: number;
  /** Stops fetching and waits up to `timeoutMs` for the jobs in flight, then stops pg-boss. */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * pg-boss installs its schema and creates its queues unguarded against another process doing the same: processes
 * starting together on a fresh database fail (a duplicate `warden_jobs` schema, a deadlock between two queue
 * creations). On Postgres the install therefore runs under an advisory lock, held by a transaction on a connection
 * of its own while pg-boss works on others, so processes install one after the other and the later ones find
 * everything there. The embedded database has one process and one connection: nothing to serialise.
 */
async function oneInstallAtATime(db: Db, install: () => Promise<void>): Promise<void> {
  if (db.kind !== "postgres") return install();
  await db.transaction(async (tx) => {
    await lockJobEngineInstall(tx);
    await install();
  });
}

/**
 * Warden's durable execution runs on pg-boss (10.4, the last line for Node 20): a Postgres job queue with
 * `SKIP LOCKED` fetching, retries with backoff, expiry, retention and cron. It keeps its tables in its own schema
 * (`<schema>_jobs`) and its SQL goes through Warden's connection (src/runs/boss-db.ts), so it runs on PGlite too.
 * pg-boss has no heartbeat: a live job past its expiry would be retried beside itself. The run lease on Warden's
 * `runs` row (src/store/run-leases.ts) is what decides who executes a run; a job only says "look at this run".
 */
export function createRunEngine(options: { db: Db; settings: EngineSettings; log: RunLogger }): RunEngine {
  const { db, settings, log } = options;
  const boss = new PgBoss({
    db: bossDb(db),
    schema: jobsSchemaOf(db),
    supervise: settings.timekeeping,
    schedule: settings.timekeeping,
    maintenanceIntervalSeconds: 60,
    cronMonitorIntervalSeconds: 15,
    cronWorkerIntervalSeconds: 5,
    archiveCompletedAfterSeconds: 3600,
    archiveFailedAfterSeconds: 7 * 86_400,
    deleteAfterDays: 7,
  });
  boss.on("error", (error) => log.warn({ err: error }, "job engine error"));
  let pumps: JobPump[] = [];
  let runPump: JobPump | undefined;
  let started = false;

  return {
    boss,
    async start(handlers, consume = true) {
      await oneInstallAtATime(db, async () => {
        await boss.start();
        started = true;
        const runQueue = { name: RUN_QUEUE, policy: "short", retryLimit: 0, expireInSeconds: 3600, retentionMinutes: 60 * 24 } as const;
        await boss.createQueue(RUN_QUEUE, runQueue);
        // A queue created as `stately` (before the policy changed) takes the new policy for the jobs sent from now on.
        if ((await boss.getQueue(RUN_QUEUE))?.policy !== runQueue.policy) await boss.updateQueue(RUN_QUEUE, runQueue);
        await boss.createQueue(WEBHOOK_QUEUE, {
          name: WEBHOOK_QUEUE,
          policy: "standard",
          retryLimit: Math.max(0, settings.webhookAttempts - 1),
          retryDelay: 2,
          retryBackoff: true,
          expireInSeconds: 120,
        });
        await boss.createQueue(CRON_QUEUE, { name: CRON_QUEUE, policy: "short", retryLimit: 1, expireInSeconds: 300 });
      });
      if (!consume) return;
      if (settings.timekeeping) await boss.schedule(CRON_QUEUE, "* * * * *", {}, { tz: "UTC" });
      runPump = createJobPump<RunJob>({
        boss,
        queue: RUN_QUEUE,
        concurrency: settings.concurrency,
        pollMs: settings.pollMs,
        handler: (job) => handlers.run(job.data),
        onError: (error, context) => log.warn({ err: error }, context),
      });
      const webhookPump = createJobPump<WebhookJob>({
        boss,
        queue: WEBHOOK_QUEUE,
        concurrency: 4,
        pollMs: Math.max(settings.pollMs, 2000),
        handler: (job) => handlers.webhook(job.data, { retryCount: job.retryCount, retryLimit: job.retryLimit }),
        onError: (error, context) => log.warn({ err: error }, context),
      });
      const cronPump = createJobPump<object>({
        boss,
        queue: CRON_QUEUE,
        concurrency: 1,
        pollMs: 5000,
        handler: () => handlers.cronTick(),
        onError: (error, context) => log.warn({ err: error }, context),
      });
      pumps = settings.timekeeping ? [runPump, webhookPump, cronPump] : [runPump, webhookPump];
      for (const pump of pumps) pump.start();
    },
    async sendRun(job, sendOptions = {}) {
      await boss.send(RUN_QUEUE, job, {
        singletonKey: `${job.tenant}/${job.run_id}`,
        ...(sendOptions.startAfterMs ? { startAfter: Math.max(1, Math.ceil(sendOptions.startAfterMs / 1000)) } : {}),
        ...(sendOptions.tx ? { db: bossDb(sendOptions.tx) } : {}),
      });
    },
    async sendBackstop(job, afterMs, tx) {
      return boss.send(RUN_QUEUE, job, {
        singletonKey: `${job.tenant}/${job.run_id}#backstop`,
        startAfter: Math.max(1, Math.ceil(afterMs / 1000)),
        ...(tx ? { db: bossDb(tx) } : {}),
      });
    },
    async cancelBackstop(jobId) {
      await boss.cancel(RUN_QUEUE, jobId);
    },
    async sendWebhook(job, tx) {
      await boss.send(WEBHOOK_QUEUE, job, { ...(tx ? { db: bossDb(tx) } : {}) });
    },
    wake() {
      runPump?.notify();
    },
    get activeRuns() {
      return runPump?.active ?? 0;
    },
    async stop(timeoutMs) {
      await Promise.all(pumps.map((pump) => pump.stop(timeoutMs)));
      if (started) await boss.stop({ graceful: false, close: false, wait: true }).catch((error: unknown) => log.warn({ err: error }, "job engine stop failed"));
    },
  };
}
