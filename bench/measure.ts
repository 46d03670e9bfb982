/** One run of a target (governed or raw); the bench hands each run its own index. */
export type RunFn = (index: number) => Promise<void>;

export interface SequentialResult {
  runs: number;
  totalMs: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  /** SQL statements per run (Db.statementCount delta / runs), when the target has a database. */
  statementsPerRun: number | null;
}

export interface ConcurrentResult {
  runs: number;
  concurrency: number;
  totalMs: number;
  runsPerSecond: number;
  statementsPerRun: number | null;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Runs `count` runs one after another, unmeasured (JIT, caches, release loading, pool connections). */
export async function warmUp(run: RunFn, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await run(i);
}

/** Sequential runs: latency of one run with nothing else in flight. */
export async function measureSequential(run: RunFn, runs: number, statementCount?: () => number): Promise<SequentialResult> {
  const durations: number[] = [];
  const statementsBefore = statementCount?.();
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run(i);
    durations.push(performance.now() - t0);
  }
  const totalMs = performance.now() - started;
  const sorted = [...durations].sort((a, b) => a - b);
  return {
    runs,
    totalMs,
    meanMs: totalMs / runs,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    statementsPerRun: statementCount && statementsBefore !== undefined ? (statementCount() - statementsBefore) / runs : null,
  };
}

/** `runs` runs with `concurrency` in flight at all times (a worker pool): throughput. */
export async function measureConcurrent(run: RunFn, runs: number, concurrency: number, statementCount?: () => number): Promise<ConcurrentResult> {
  let next = 0;
  const statementsBefore = statementCount?.();
  const started = performance.now();
  const worker = async () => {
    while (next < runs) await run(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, runs) }, worker));
  const totalMs = performance.now() - started;
  return {
    runs,
    concurrency,
    totalMs,
    runsPerSecond: (runs * 1000) / totalMs,
    statementsPerRun: statementCount && statementsBefore !== undefined ? (statementCount() - statementsBefore) / runs : null,
  };
}
