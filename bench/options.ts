/**
 * Benchmark settings, from the environment (run counts) and argv (`--json`). Every count has a default that
 * keeps the whole bench (three backends, governed and raw) within a few minutes on a 2-core machine.
 */
export type BackendName = "memory" | "pglite" | "postgres";
export type Durability = "sync" | "async" | "exit";

export interface BenchOptions {
  /** Unmeasured runs before each measurement (JIT, caches, release loading, pool connections). */
  warmup: number;
  /** Sequential measured runs (ms per run). */
  runs: number;
  /**
   * Measurements are split into this many blocks, alternating governed and raw, so that load from other
   * processes on a shared machine hits both about equally instead of skewing the ratio.
   */
  rounds: number;
  /** Runs of the concurrent measurement (runs/s). */
  concurrentRuns: number;
  /** Runs in flight during the concurrent measurement. */
  concurrency: number;
  /** Sequential runs through the SQL-classifying wrapper (statement and time breakdown); 0 turns it off. */
  profileRuns: number;
  backends: BackendName[];
  /** LangGraph checkpoint durability for both governed and raw runs ("async" is the runtime's default). */
  durability: Durability;
  /**
   * The HTTP figure (POST /v1/runs under load, on the pglite and postgres entries of `backends`): BENCH_HTTP=1
   * (default) adds it, 0 skips it, `only` runs it alone (no governed/raw measurement).
   */
  http: "on" | "off" | "only";
  /** Seconds of load per backend for the HTTP figure. */
  httpDuration: number;
  /** Concurrent keep-alive clients for the HTTP figure. */
  httpConnections: number;
  databaseUrl: string | undefined;
  json: boolean;
}

const BACKENDS: readonly BackendName[] = ["memory", "pglite", "postgres"];
const DURABILITIES: readonly Durability[] = ["sync", "async", "exit"];

function count(env: Record<string, string | undefined>, key: string, fallback: number, min = 0): number {
  const raw = env[key]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${key} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

export function readOptions(env: Record<string, string | undefined> = process.env, argv: string[] = process.argv.slice(2)): BenchOptions {
  const unknown = argv.filter((arg) => arg !== "--json");
  if (unknown.length > 0) throw new Error(`unknown argument(s): ${unknown.join(" ")} (only --json; counts come from BENCH_* env vars)`);
  const backends = (env.BENCH_BACKENDS?.trim() || BACKENDS.join(","))
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of backends) {
    if (!BACKENDS.includes(name as BackendName)) throw new Error(`BENCH_BACKENDS: unknown backend "${name}" (use ${BACKENDS.join(", ")})`);
  }
  const durability = (env.BENCH_DURABILITY?.trim() || "async") as Durability;
  if (!DURABILITIES.includes(durability)) throw new Error(`BENCH_DURABILITY must be one of ${DURABILITIES.join(", ")}`);
  const databaseUrl = env.DATABASE_URL?.trim();
  const httpRaw = env.BENCH_HTTP?.trim() || "1";
  const http = new Map([["1", "on"], ["0", "off"], ["only", "only"]] as const).get(httpRaw as "1");
  if (!http) throw new Error(`BENCH_HTTP must be 1, 0 or only, got "${httpRaw}"`);
  return {
    warmup: count(env, "BENCH_WARMUP", 5),
    runs: count(env, "BENCH_RUNS", 30, 1),
    rounds: count(env, "BENCH_ROUNDS", 3, 1),
    concurrentRuns: count(env, "BENCH_CONCURRENT_RUNS", 128, 1),
    concurrency: count(env, "BENCH_CONCURRENCY", 16, 1),
    profileRuns: count(env, "BENCH_PROFILE_RUNS", 5),
    backends: backends as BackendName[],
    durability,
    http,
    httpDuration: count(env, "BENCH_HTTP_DURATION", 10, 1),
    httpConnections: count(env, "BENCH_HTTP_CONNECTIONS", 32, 1),
    databaseUrl: databaseUrl === "" ? undefined : databaseUrl,
    json: argv.includes("--json"),
  };
}
