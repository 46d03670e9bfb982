/**
 * `npm run bench`: a governed Warden refund run against a raw LangGraph run of the same shape, on three
 * checkpoint backends (MemorySaver, in-memory PGlite, Postgres at DATABASE_URL). See docs/benchmarks.md.
 *
 *   BENCH_RUNS=30 BENCH_ROUNDS=3 BENCH_CONCURRENT_RUNS=128 BENCH_CONCURRENCY=16 BENCH_WARMUP=5 BENCH_PROFILE_RUNS=5 \
 *   BENCH_BACKENDS=memory,pglite,postgres BENCH_DURABILITY=async DATABASE_URL=postgres://... npm run bench -- --json
 *
 * Then the HTTP figure (bench/http.ts) on the pglite and postgres backends: BENCH_HTTP=0 skips it, BENCH_HTTP=only
 * runs nothing else; BENCH_HTTP_DURATION=10 (seconds per backend), BENCH_HTTP_CONNECTIONS=32.
 */
import { availableParallelism } from "node:os";
import { openBackend, type BenchBackend } from "./backends.js";
import { createOrderPool, type OrderPool } from "./governed.js";
import { benchHttp, type HttpBackendResult } from "./http.js";
import { concurrentBlock, sequentialBlock, splitRuns, summarizeConcurrent, summarizeSequential, warmUp, type Block } from "./measure.js";
import { readOptions, type BackendName, type BenchOptions } from "./options.js";
import { profileRuns, type ProfileResult } from "./profile.js";
import { TARGET_RATIO, type BackendResult, type BenchReport, type TargetResult } from "./results.js";
import { profileDb } from "./sql-profile.js";
import { renderHttp, renderProfile, renderSummary } from "./table.js";
import { createGovernedTarget, createRawTarget, type Target } from "./targets.js";

const log = (message: string) => process.stderr.write(`${message}\n`);
const fmt = (value: number) => value.toFixed(2);

/**
 * Governed and raw measured in alternating blocks (which goes first alternates too), so a burst of load from
 * other processes lands on both rather than on whichever happened to run then.
 */
async function measurePair(backend: BenchBackend, targets: [Target, Target], options: BenchOptions): Promise<Record<Target["kind"], TargetResult>> {
  const sequential = new Map<Target["kind"], Block[]>(targets.map((target) => [target.kind, []]));
  const concurrent = new Map<Target["kind"], Block[]>(targets.map((target) => [target.kind, []]));
  for (const target of targets) {
    await warmUp(() => target.run(), options.warmup);
    await target.verify();
  }
  const ordered = (round: number) => (round % 2 === 0 ? targets : [...targets].reverse());
  for (const [round, size] of splitRuns(options.runs, options.rounds).entries()) {
    for (const target of ordered(round)) {
      const block = await sequentialBlock(() => target.run(), size, target.statements);
      await target.verify();
      sequential.get(target.kind)!.push(block);
      log(`[${backend.name}] ${target.kind}: ${size} sequential runs, ${fmt(block.totalMs / size)} ms/run`);
    }
  }
  for (const [round, size] of splitRuns(options.concurrentRuns, options.rounds).entries()) {
    for (const target of ordered(round)) {
      const block = await concurrentBlock(() => target.run(), size, options.concurrency, target.statements);
      await target.verify();
      concurrent.get(target.kind)!.push(block);
      log(`[${backend.name}] ${target.kind}: ${size} runs with ${options.concurrency} in flight, ${fmt((size * 1000) / block.totalMs)} runs/s`);
    }
  }
  const result = (kind: Target["kind"]): TargetResult => ({
    sequential: summarizeSequential(sequential.get(kind)!),
    concurrent: summarizeConcurrent(concurrent.get(kind)!, options.concurrentRuns, options.concurrency),
  });
  return { governed: result("governed"), raw: result("raw") };
}

/** Sequential runs through the classifying Db wrapper (a separate pass: the wrapper's timing costs a little). */
async function profileTarget(backend: BenchBackend, kind: Target["kind"], orders: OrderPool, options: BenchOptions): Promise<ProfileResult> {
  const { db, profiler } = profileDb(backend.db);
  const target = kind === "governed" ? await createGovernedTarget(backend, db, orders, options) : await createRawTarget(backend, db, options);
  try {
    await target.run(); // loads the release / compiles lazily, outside the tally
    const profile = await profileRuns((afterStart) => target.run(afterStart), options.profileRuns, db, profiler);
    await target.verify();
    return profile;
  } finally {
    await target.close();
  }
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
    const governedTarget = await createGovernedTarget(backend, backend.db, orders, options);
    const rawTarget = await createRawTarget(backend, backend.db, options);
    let measured: Record<Target["kind"], TargetResult>;
    try {
      measured = await measurePair(backend, [governedTarget, rawTarget], options);
    } finally {
      await governedTarget.close();
      await rawTarget.close();
    }
    const { governed, raw } = measured;
    if (options.profileRuns > 0) {
      governed.profile = await profileTarget(backend, "governed", orders, options);
      if (backend.sqlCheckpoints) raw.profile = await profileTarget(backend, "raw", orders, options);
    }
    return {
      backend: name,
      openMs,
      governed,
      raw,
      ratio: {
        msPerRun: governed.sequential.meanMs / raw.sequential.meanMs,
        cpuMsPerRun: governed.sequential.cpuMsPerRun / raw.sequential.cpuMsPerRun,
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
      rounds: options.rounds,
      concurrentRuns: options.concurrentRuns,
      concurrency: options.concurrency,
      profileRuns: options.profileRuns,
      backends: options.backends,
      durability: options.durability,
      http: options.http,
      httpDuration: options.httpDuration,
      httpConnections: options.httpConnections,
      postgres: options.databaseUrl !== undefined,
    },
    target: TARGET_RATIO,
    backends: [],
  };
  if (options.http !== "only") {
    for (const name of options.backends) report.backends.push(await benchBackend(name, options));
  }
  const http: HttpBackendResult[] = [];
  if (options.http !== "off") {
    for (const name of options.backends) if (name !== "memory") http.push(await benchHttp(name, options));
  }

  const sections = options.http === "only" ? [] : [renderSummary(report)];
  for (const result of report.backends) {
    for (const kind of ["governed", "raw"] as const) {
      const profile = result[kind]?.profile;
      if (profile) sections.push(renderProfile(result.backend, kind, profile));
    }
  }
  if (http.length > 0) {
    sections.push(renderHttp(http, options.httpConnections, options.httpDuration));
    for (const result of http) if ("profile" in result && result.profile) sections.push(renderProfile(result.backend, "agent run (the HTTP figure's run, direct)", result.profile));
  }
  const text = sections.join("\n\n");
  if (options.json) {
    log(text);
    process.stdout.write(`${JSON.stringify({ ...report, http }, null, 2)}\n`);
  } else {
    process.stdout.write(`${text}\n`);
  }
}

main().catch((error: unknown) => {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
