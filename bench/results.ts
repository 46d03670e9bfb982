import type { ConcurrentResult, SequentialResult } from "./measure.js";
import type { BackendName, BenchOptions } from "./options.js";
import type { ProfileResult } from "./profile.js";

/** What one target (governed or raw) measured on one backend. */
export interface TargetResult {
  sequential: SequentialResult;
  concurrent: ConcurrentResult;
  profile?: ProfileResult;
}

export interface BackendResult {
  backend: BackendName;
  /** Set when the backend was not measured (e.g. no DATABASE_URL). */
  skipped?: string;
  /** Time to open the database, migrate and seed (not part of any run). */
  openMs?: number;
  governed?: TargetResult;
  raw?: TargetResult;
  /** governed ÷ raw: above 1 for ms/run (and CPU ms/run) means slower; below 1 for runs/s means fewer runs per second. */
  ratio?: { msPerRun: number; cpuMsPerRun: number; runsPerSecond: number };
}

export interface BenchReport {
  startedAt: string;
  node: string;
  cpus: number;
  options: Omit<BenchOptions, "databaseUrl" | "json"> & { postgres: boolean };
  /** The team's target: governed ≤ this many times raw, on Postgres. */
  target: number;
  backends: BackendResult[];
}

export const TARGET_RATIO = 1.5;
