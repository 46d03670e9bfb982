import type { Queryable } from "./db.js";

export type RunStatus = "running" | "completed" | "waiting_approval" | "denied" | "escalated" | "failed" | "cancelled";

export interface RunRow {
  tenant_id: string;
  run_id: string;
  thread_id: string;
  actor: string;
  release_id: string;
  route: string | null;
  status: RunStatus;
  answer: string | null;
  error: { code: string; message: string } | null;
  idempotency_key: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Postgres' unique_violation: here, another active run on the same thread. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}

export async function insertRun(
  db: Queryable,
  run: Pick<RunRow, "tenant_id" | "run_id" | "thread_id" | "actor" | "release_id"> & { idempotency_key?: string | undefined },
): Promise<void> {
  await db.query(
    `INSERT INTO runs (tenant_id, run_id, thread_id, actor, release_id, status, idempotency_key)
     VALUES ($1, $2, $3, $4, $5, 'running', $6)`,
    [run.tenant_id, run.run_id, run.thread_id, run.actor, run.release_id, run.idempotency_key ?? null],
  );
}

export async function updateRun(
  db: Queryable,
  tenant: string,
  runId: string,
  patch: { status: RunStatus; route?: string | null | undefined; answer?: string | null | undefined; error?: RunRow["error"] },
): Promise<void> {
  await db.query(
    `UPDATE runs SET status = $3, route = COALESCE($4, route), answer = $5, error = $6, updated_at = now()
     WHERE tenant_id = $1 AND run_id = $2`,
    [tenant, runId, patch.status, patch.route ?? null, patch.answer ?? null, patch.error ? JSON.stringify(patch.error) : null],
  );
}

export async function getRun(db: Queryable, tenant: string, runId: string): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>("SELECT * FROM runs WHERE tenant_id = $1 AND run_id = $2", [tenant, runId]);
  return rows[0];
}
