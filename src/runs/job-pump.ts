import type PgBoss from "pg-boss";
import { createWakeableSleep } from "./wakeable-sleep.js";

export interface JobPumpOptions<T> {
  boss: PgBoss;
  queue: string;
  /** Jobs of this queue this process runs at once. */
  concurrency: number;
  /** How often an idle pump asks for jobs (a job sent by this process wakes it at once). */
  pollMs: number;
  handler: (job: PgBoss.JobWithMetadata<T>) => Promise<void>;
  onError: (error: unknown, context: string) => void;
}

export interface JobPump {
  start(): void;
  /** A job was sent from this process: fetch now instead of at the next poll. */
  notify(): void;
  /** Jobs running now. */
  readonly active: number;
  /** Stops fetching; resolves when the jobs in flight have settled (or at `timeoutMs`). */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Feeds one pg-boss queue to a handler with up to `concurrency` jobs in flight. pg-boss 10's `work()` runs one
 * batch at a time (a slow job holds back the jobs fetched with it) and sleeps out its polling interval after every
 * batch, so a burst of runs would wait up to a poll each; this loop fetches again as soon as a slot frees while
 * the queue may hold more. Fetching, completing and failing are pg-boss's own (`fetch`, `complete`, `fail`): the
 * queue, its locking (`SKIP LOCKED`), expiry, retries and retention stay the engine's.
 */
export function createJobPump<T>(options: JobPumpOptions<T>): JobPump {
  const { boss, queue, concurrency, pollMs } = options;
  let active = 0;
  let stopped = true;
  let maybeMore = false;
  let loop: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();
  const { sleep, wake } = createWakeableSleep();

  async function runJob(job: PgBoss.JobWithMetadata<T>): Promise<void> {
    try {
      await options.handler(job);
      await boss.complete(queue, job.id).catch((error: unknown) => options.onError(error, `complete ${queue} job`));
    } catch (error) {
      const data = { message: error instanceof Error ? error.message : String(error) };
      await boss.fail(queue, job.id, data).catch((cause: unknown) => options.onError(cause, `fail ${queue} job`));
    }
  }

  async function pump(): Promise<void> {
    while (!stopped) {
      const free = concurrency - active;
      let fetched = 0;
      if (free > 0) {
        maybeMore = false;
        let jobs: PgBoss.JobWithMetadata<T>[] = [];
        try {
          jobs = await boss.fetch<T>(queue, { batchSize: free, includeMetadata: true });
        } catch (error) {
          options.onError(error, `fetch ${queue}`);
        }
        fetched = jobs.length;
        for (const job of jobs) {
          active++;
          const running = runJob(job).finally(() => {
            active--;
            inFlight.delete(running);
            if (maybeMore) wake();
          });
          inFlight.add(running);
        }
        // A full batch: there may be more waiting.
        if (fetched === free) maybeMore = true;
      }
      if (stopped) break;
      if (maybeMore && active < concurrency) continue;
      await sleep(pollMs);
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop = pump();
    },
    notify() {
      maybeMore = true;
      if (active < concurrency) wake();
    },
    get active() {
      return active;
    },
    async stop(timeoutMs) {
      stopped = true;
      wake();
      await loop;
      if (inFlight.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    },
  };
}
