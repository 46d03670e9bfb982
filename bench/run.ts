/**
 * `npm run bench`: a governed Warden refund run against a raw LangGraph run of the same shape, on three
 * checkpoint backends (MemorySaver, in-memory PGlite, Postgres at DATABASE_URL). See docs/benchmarks.md.
 *
 *   BENCH_RUNS=30 BENCH_CONCURRENT_RUNS=160 BENCH_CONCURRENCY=16 BENCH_WARMUP=5 BENCH_PROFILE_RUNS=5 \
 *   BENCH_BACKENDS=memory,pglite,postgres BENCH_DURABILITY=async DATABASE_URL=postgres://... npm run bench -- --json
 */
import { availableParallelism } from "node:os";
import { createRuntime } from "../src/runtime/create-runtime.js";
import { openBackend, type BenchBackend } from "./backends.js";
import { assertOneRefundEach, createOrderPool, runGovernedOnce, type OrderPool } from "./governed.js";
import { measureConcurrent, measureSequential, warmUp, type RunFn } from "./measure.js";
import { readOptions, type BackendName, type BenchOptions } from "./options.js";
import { profileRuns } from "./profile.js";
import { buildRawGraph, runRawOnce } from "./raw-graph.js";
import { TARGET_RATIO, type BackendResult, type BenchReport, type TargetResult } from "./results.js";
import { profileDb } from "./sql-profile.js";
import { renderProfile, renderSummary } from "./table.js";

const log = (message: string) => process.stderr.write(`${message}\n`);
const fmt = (value: number) => value.toFixed(2);

async function benchGoverned(backend: BenchBackend, orders: OrderPool, options: BenchOptions): Promise<TargetResult> {
  const { db } = backend;
  const runtime = await createRuntime({ store: await backend.store(db), env: {}, durability: options.durability });
  const run: RunFn = () => runGovernedOnce(runtime, orders.next());
  const statements = () => db.statementCount();
  try {
    await warmUp(run, options.warmup);
    await assertOneRefundEach(db, orders.take());
    const sequential = await measureSequential(run, options.runs, statements);
    await assertOneRefundEach(db, orders.take());
    log(`[${backend.name}] governed: ${fmt(sequential.meanMs)} ms/run sequential, ${sequential.statementsPerRun} SQL/run`);
    const concurrent = await measureConcurrent(run, options.concurrentRuns, options.concurrency, statements);
    await assertOneRefundEach(db, orders.take());
    log(`[${backend.name}] governed: ${fmt(concurrent.runsPerSecond)} runs/s with ${options.concurrency} in flight`);
    return { sequential, concurrent };
  } finally {
    await runtime.close();
  }
}

async function profileGoverned(backend: BenchBackend, orders: OrderPool, options: BenchOptions) {
  const { db, profiler } = profileDb(backend.db);
  const runtime = await createRuntime({ store: await backend.store(db), env: {}, durability: options.durability });
  try {
    await runGovernedOnce(runtime, orders.next()); // loads the release outside the tally
    const profile = await profileRuns((_, afterStart) => runGovernedOnce(runtime, orders.next(), afterStart), options.profileRuns, db, profiler);
    await assertOneRefundEach(backend.db, orders.take());
    return profile;
  } finally {
    await runtime.close();
  }
}

async function benchRaw(backend: BenchBackend, options: BenchOptions): Promise<TargetResult> {
  const graph = buildRawGraph(await backend.checkpointer(backend.db));
  let label = 0;
  const run: RunFn = () => runRawOnce(graph, `R-${label++}`, options.durability);
  const statements = backend.sqlCheckpoints ? () => backend.db.statementCount() : undefined;
  await warmUp(run, options.warmup);
  const sequential = await measureSequential(run, options.runs, statements);
  log(`[${backend.name}] raw: ${fmt(sequential.meanMs)} ms/run sequential, ${sequential.statementsPerRun ?? "-"} SQL/run`);
  const concurrent = await measureConcurrent(run, options.concurrentRuns, options.concurrency, statements);
  log(`[${backend.name}] raw: ${fmt(concurrent.runsPerSecond)} runs/s with ${options.concurrency} in flight`);
  const result: TargetResult = { sequential, concurrent };
  if (options.profileRuns > 0 && backend.sqlCheckpoints) {
    const { db, profiler } = profileDb(backend.db);
    const profiled = buildRawGraph(await backend.checkpointer(db));
    result.profile = await profileRuns((i, afterStart) => runRawOnce(profiled, `P-${i}`, options.durability, afterStart), options.profileRuns, db, profiler);
  }
  return result;
}

async function benchBackend(name: BackendName, options: BenchOptions): Promise<BackendResult> {
  if (name === "postgres" && !options.databaseUrl) return { backend: name, skipped: "skipped (set DATABASE_URL)" };
  log(`[${name}] opening…`);
  const opening = performance.now();
  const backend = await openBackend(name, options.databaseUrl);
  const openMs = performance.now() - opening;
  try {
    const profileOrders = options.profileRuns > 0 ? options.profileRuns + 1 : 0;
    const orders = await createOrderPool(backend.db, options.warmup + options.runs + options.concurrentRuns + profileOrders);
    const governed = await benchGoverned(backend, orders, options);
    const raw = await benchRaw(backend, options);
    if (options.profileRuns > 0) governed.profile = await profileGoverned(backend, orders, options);
    return {
      backend: name,
      openMs,
      governed,
      raw,
      ratio: {
        msPerRun: governed.sequential.meanMs / raw.sequential.meanMs,
        runsPerSecond: governed.concurrent.runsPerSecond / raw.concurrent.runsPerSecond,
      },
    };
  } finally {
    await backend.close();
  }
}

async function main(): Promise<void> {
  const options = readOptions();
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    options: {
      warmup: options.warmup,
      runs: options.runs,
      concurrentRuns: options.concurrentRuns,
      concurrency: options.concurrency,
      profileRuns: options.profileRuns,
      backends: options.backends,
      durability: options.durability,
      postgres: options.databaseUrl !== undefined,
    },
    target: TARGET_RATIO,
    backends: [],
  };
  for (const name of options.backends) report.backends.push(await benchBackend(name, options));

  const sections = [renderSummary(report)];
  for (const result of report.backends) {
    for (const kind of ["governed", "raw"] as const) {
      const profile = result[kind]?.profile;
      if (profile) sections.push(renderProfile(result.backend, kind, profile));
    }
  }
  const text = sections.join("\n\n");
  if (options.json) {
    log(text);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(`${text}\n`);
  }
}

main().catch((error: unknown) => {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
