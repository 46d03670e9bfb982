import type { Db } from "../src/store/db.js";
import type { SqlGroup, SqlProfiler, SqlTally } from "./sql-profile.js";

/** A profiled run: its two halves (start until the interrupt, then the approval's resume). */
export type ProfiledRunFn = (afterStart: () => void) => Promise<void>;

export interface CategoryRow {
  name: string;
  group: SqlGroup;
  /** Per run, in the first half (start → waiting) and the second (resume → completed). */
  start: { statements: number; ms: number };
  resume: { statements: number; ms: number };
}

export interface ProfileResult {
  runs: number;
  /** Wall time per run under the classifying wrapper. */
  msPerRun: number;
  /** Db.statementCount delta per run: the classified rows must add up to it. */
  statementsPerRun: number;
  classifiedPerRun: number;
  /** Summed statement time per run; the rest of `msPerRun` is JavaScript (graph, policy, zod, redaction...). */
  sqlMsPerRun: number;
  categories: CategoryRow[];
}

type Tally = Map<string, SqlTally & { group: SqlGroup; name: string }>;

/**
 * Runs `runs` sequential runs through a classifying Db wrapper and tallies statements and their time by
 * category, separately for the start and the resume half of each run.
 */
export async function profileRuns(run: ProfiledRunFn, runs: number, db: Db, profiler: SqlProfiler): Promise<ProfileResult> {
  const rows = new Map<string, CategoryRow>();
  const add = (tally: Tally, half: "start" | "resume") => {
    for (const entry of tally.values()) {
      const row = rows.get(entry.name) ?? {
        name: entry.name,
        group: entry.group,
        start: { statements: 0, ms: 0 },
        resume: { statements: 0, ms: 0 },
      };
      row[half].statements += entry.statements;
      row[half].ms += entry.ms;
      rows.set(entry.name, row);
    }
  };
  profiler.reset();
  const statementsBefore = db.statementCount();
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    await run(() => {
      add(profiler.snapshot(), "start");
      profiler.reset();
    });
    add(profiler.snapshot(), "resume");
    profiler.reset();
  }
  const totalMs = performance.now() - started;
  const categories = [...rows.values()]
    .map((row) => ({
      ...row,
      start: { statements: row.start.statements / runs, ms: row.start.ms / runs },
      resume: { statements: row.resume.statements / runs, ms: row.resume.ms / runs },
    }))
    .sort((a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name));
  const sum = (pick: (row: CategoryRow) => number) => categories.reduce((total, row) => total + pick(row), 0);
  return {
    runs,
    msPerRun: totalMs / runs,
    statementsPerRun: (db.statementCount() - statementsBefore) / runs,
    classifiedPerRun: sum((row) => row.start.statements + row.resume.statements),
    sqlMsPerRun: sum((row) => row.start.ms + row.resume.ms),
    categories,
  };
}

/** Category rows summed per group (checkpoint, trace, ledger, approvals, runs, tools, app tx, other). */
export function byGroup(result: ProfileResult): Array<{ group: SqlGroup; statements: number; ms: number }> {
  const groups = new Map<SqlGroup, { group: SqlGroup; statements: number; ms: number }>();
  for (const row of result.categories) {
    const entry = groups.get(row.group) ?? { group: row.group, statements: 0, ms: 0 };
    entry.statements += row.start.statements + row.resume.statements;
    entry.ms += row.start.ms + row.resume.ms;
    groups.set(row.group, entry);
  }
  return [...groups.values()].sort((a, b) => b.statements - a.statements);
}
