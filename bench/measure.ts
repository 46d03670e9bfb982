/** One run of a target (governed or raw). */
export type RunFn = () => Promise<void>;

/** What one block of runs measured; blocks of the same target are merged into one result. */
export interface Block {
  durations: number[];
  totalMs: number;
  /** Db.statementCount delta over the block, or null when the target has no SQL checkpointer. */
  statements: number | null;
  /** CPU time this process spent over the block (user + system), in ms. */
  cpuMs: number;
}

export interface SequentialResult {
  runs: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  /** SQL statements per run (Db.statementCount delta / runs), null when nothing is counted. */
  statementsPerRun: number | null;
  /**
   * CPU time of this Node process per run (user + system; not the database server's). Steadier than wall time
   * on a machine shared with other work, because waiting for a CPU does not count.
   */
  cpuMsPerRun: number;
}

export interface ConcurrentResult {
  runs: number;
  concurrency: number;
  totalMs: number;
  runsPerSecond: number;
  statementsPerRun: number | null;
}

const cpuNow = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Splits `total` runs into `parts` blocks whose sizes differ by at most one (empty blocks dropped). */
export function splitRuns(total: number, parts: number): number[] {
  const sizes = Array.from({ length: parts }, (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0));
  return sizes.filter((size) => size > 0);
}

/** Runs `count` runs one after another, unmeasured (JIT, caches, release loading, pool connections). */
export async function warmUp(run: RunFn, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await run();
}

/** A block of sequential runs: the latency of one run with nothing else in flight. */
export async function sequentialBlock(run: RunFn, runs: number, statementCount?: () => number): Promise<Block> {
  const durations: number[] = [];
  const before = statementCount?.();
  const cpuBefore = cpuNow();
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run();
    durations.push(performance.now() - t0);
  }
  return {
    durations,
    totalMs: performance.now() - started,
    statements: statementCount && before !== undefined ? statementCount() - before : null,
    cpuMs: cpuNow() - cpuBefore,
  };
}

/** A block of `runs` runs with `concurrency` in flight at all times (a worker pool): throughput. */
export async function concurrentBlock(run: RunFn, runs: number, concurrency: number, statementCount?: () => number): Promise<Block> {
  let started = 0;
  const before = statementCount?.();
  const cpuBefore = cpuNow();
  const t0 = performance.now();
  const worker = async () => {
    while (started < runs) {
      started++;
      await run();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, runs) }, worker));
  return {
    durations: [],
    totalMs: performance.now() - t0,
    statements: statementCount && before !== undefined ? statementCount() - before : null,
    cpuMs: cpuNow() - cpuBefore,
  };
}

function statementsPerRun(blocks: Block[], runs: number): number | null {
  if (blocks.some((block) => block.statements === null)) return null;
  return blocks.reduce((sum, block) => sum + block.statements!, 0) / runs;
}

export function summarizeSequential(blocks: Block[]): SequentialResult {
  const durations = blocks.flatMap((block) => block.durations);
  const sorted = [...durations].sort((a, b) => a - b);
  const runs = durations.length;
  return {
    runs,
    meanMs: durations.reduce((sum, value) => sum + value, 0) / runs,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    statementsPerRun: statementsPerRun(blocks, runs),
    cpuMsPerRun: blocks.reduce((sum, block) => sum + block.cpuMs, 0) / runs,
  };
}

export function summarizeConcurrent(blocks: Block[], runs: number, concurrency: number): ConcurrentResult {
  const totalMs = blocks.reduce((sum, block) => sum + block.totalMs, 0);
  return { runs, concurrency, totalMs, runsPerSecond: (runs * 1000) / totalMs, statementsPerRun: statementsPerRun(blocks, runs) };
}
