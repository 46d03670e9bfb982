import type { Queryable } from "./db.js";

/**
 * The `run_events` table: a run's trace, one row per event, numbered per run by the database. The trace store
 * (src/trace/trace-store.ts) buffers and redacts; this holds its statements.
 */

/** One event to append: its time, kind, and the whole event as JSON text (its `seq` is set by the database). */
export interface RunEventInsert {
  at: string;
  kind: string;
  json: string;
}

/**
 * Appends `events` as one statement and returns the seq given to the first. The database numbers the rows
 * (`max(seq)` of the run + 1, 2, ...) inside the INSERT itself, so numbering continues across processes and
 * resumes without a separate read, and two writers racing on one run collide on the primary key instead of
 * interleaving silently (a unique violation); the caller retries that.
 */
export async function appendRunEvents(db: Queryable, tenant: string, runId: string, events: readonly RunEventInsert[]): Promise<number> {
  const params: unknown[] = [tenant, runId];
  const rows = events.map((event, index) => {
    params.push(event.at, event.kind, event.json);
    const p = params.length;
    return `(${index + 1}, $${p - 2}::timestamptz, $${p - 1}::text, $${p}::jsonb)`;
  });
  const result = await db.query<{ first: number | null }>(
    `WITH base AS (
       SELECT coalesce(max(seq), 0) AS seq FROM run_events WHERE tenant_id = $1 AND run_id = $2
     ), inserted AS (
       INSERT INTO run_events (tenant_id, run_id, seq, at, kind, event)
       SELECT $1, $2, base.seq + v.i, v.at, v.kind, jsonb_set(v.event, '{seq}', to_jsonb(base.seq + v.i))
       FROM base, (VALUES ${rows.join(", ")}) AS v (i, at, kind, event)
       RETURNING seq
     )
     SELECT min(seq)::int AS first FROM inserted`,
    params,
  );
  const first = result.rows[0]?.first;
  if (typeof first !== "number") throw new Error("run_events insert returned no rows");
  return first;
}

/** Takes the run's append lock until the transaction ends: writers of one run then queue instead of colliding. */
export async function lockRunEvents(tx: Queryable, tenant: string, runId: string): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))", [tenant, runId]);
}

/** The run's events after `afterSeq`, by seq, as stored (parsed JSON). */
export async function readRunEvents<Event = unknown>(db: Queryable, tenant: string, runId: string, afterSeq: number): Promise<Event[]> {
  const result = await db.query<{ event: Event | string }>(
    "SELECT event FROM run_events WHERE tenant_id = $1 AND run_id = $2 AND seq > $3 ORDER BY seq",
    [tenant, runId, afterSeq],
  );
  return result.rows.map((row) => (typeof row.event === "string" ? (JSON.parse(row.event) as Event) : row.event));
}
