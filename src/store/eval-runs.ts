import type { Queryable } from "./db.js";

/**
 * One `warden eval` verdict (migration 008): how a release's content, identified by its content hash
 * (`releaseContentHash`), did on a dataset. The promotion gate reads these rows. They are not tenant data (a
 * release's content is the same for every tenant), so they carry no `tenant_id`.
 */
export interface EvalRunRow {
  eval_id: string;
  release_id: string;
  /** `releaseContentHash(release).hash` at the time of the eval (`sha256:<hex>`). */
  content_hash: string;
  /** The release compared against (its `replaces`, or `--baseline`), if any. */
  baseline_id: string | null;
  baseline_hash: string | null;
  /** The dataset id, e.g. `shop@1`. */
  dataset: string;
  gate: "pass" | "fail";
  cases: number;
  passed: number;
  failed: number;
  /** Metric name → score, e.g. `{ "task_success": 1, "policy_compliance": 0.98 }`. */
  scores: Record<string, number>;
  /** Why the gate failed (a threshold missed, a regression against the baseline); empty when it passed. */
  reasons: string[];
  /** Where the runner wrote its report (report.md), if it did. */
  report_path: string | null;
  created_at: string;
}

/** What the eval runner records: the row without `created_at` (the database's clock); optional fields may be left out. */
export type NewEvalRun = Omit<EvalRunRow, "created_at" | "baseline_id" | "baseline_hash" | "report_path"> &
  Partial<Pick<EvalRunRow, "baseline_id" | "baseline_hash" | "report_path">>;

const COLUMNS = `eval_id, release_id, content_hash, baseline_id, baseline_hash, dataset, gate, cases, passed, failed,
  scores, reasons, report_path, created_at::text AS created_at`;

/**
 * Records an eval's verdict (the runner calls it after each `warden eval`) and returns the stored row.
 *
 * @example
 * await recordEvalRun(db, { eval_id: "ev_1", release_id: "shop@2", content_hash: hash, dataset: "shop@1",
 *   gate: "pass", cases: 12, passed: 12, failed: 0, scores: { task_success: 1 }, reasons: [] });
 */
export async function recordEvalRun(db: Queryable, row: NewEvalRun): Promise<EvalRunRow> {
  const { rows } = await db.query<EvalRunRow>(
    `INSERT INTO eval_runs (eval_id, release_id, content_hash, baseline_id, baseline_hash, dataset, gate, cases, passed, failed, scores, reasons, report_path)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13)
     RETURNING ${COLUMNS}`,
    [
      row.eval_id,
      row.release_id,
      row.content_hash,
      row.baseline_id ?? null,
      row.baseline_hash ?? null,
      row.dataset,
      row.gate,
      row.cases,
      row.passed,
      row.failed,
      JSON.stringify(row.scores),
      JSON.stringify(row.reasons),
      row.report_path ?? null,
    ],
  );
  return rows[0]!;
}

/** The newest eval of exactly this content of the release (what the gate decides on), or undefined. */
export async function latestEvalRun(db: Queryable, releaseId: string, contentHash: string): Promise<EvalRunRow | undefined> {
  const { rows } = await db.query<EvalRunRow>(
    `SELECT ${COLUMNS} FROM eval_runs WHERE release_id = $1 AND content_hash = $2 ORDER BY seq DESC LIMIT 1`,
    [releaseId, contentHash],
  );
  return rows[0];
}

/** The newest eval of the release, whatever content it evaluated (compare its `content_hash` with the current one). */
export async function latestEvalOf(db: Queryable, releaseId: string): Promise<EvalRunRow | undefined> {
  const { rows } = await db.query<EvalRunRow>(`SELECT ${COLUMNS} FROM eval_runs WHERE release_id = $1 ORDER BY seq DESC LIMIT 1`, [releaseId]);
  return rows[0];
}

/** Evals, newest first: of one release, or of all (default limit 20). */
export async function listEvalRuns(db: Queryable, filter: { releaseId?: string; limit?: number } = {}): Promise<EvalRunRow[]> {
  const limit = filter.limit ?? 20;
  const { rows } = filter.releaseId
    ? await db.query<EvalRunRow>(`SELECT ${COLUMNS} FROM eval_runs WHERE release_id = $1 ORDER BY seq DESC LIMIT $2`, [filter.releaseId, limit])
    : await db.query<EvalRunRow>(`SELECT ${COLUMNS} FROM eval_runs ORDER BY seq DESC LIMIT $1`, [limit]);
  return rows;
}
