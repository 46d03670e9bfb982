import type { Queryable } from "./db.js";

/**
 * Discards what a run wrote to its thread (multitask_strategy `rollback`): every checkpoint after `baseId` (the
 * thread's latest root checkpoint before the run's first step; null: the run was the thread's first), in every
 * namespace (subgraph checkpoints too), their pending writes, and the blobs no remaining checkpoint points at.
 * Checkpoint ids are uuid6, ordered by time, which is how LangGraph itself finds a thread's latest checkpoint.
 * The thread then reads as it did before the run; the run's trace and effects stay (they happened).
 */
export async function rollbackCheckpoints(tx: Queryable, checkpointThread: string, baseId: string | null): Promise<{ checkpoints: number }> {
  const { rows } = await tx.query<{ checkpoints: number }>(
    `WITH gone AS (
       DELETE FROM checkpoints WHERE thread_id = $1 AND ($2::text IS NULL OR checkpoint_id > $2) RETURNING 1
     ), writes_gone AS (
       DELETE FROM checkpoint_writes WHERE thread_id = $1 AND ($2::text IS NULL OR checkpoint_id > $2) RETURNING 1
     )
     SELECT (SELECT count(*) FROM gone)::int AS checkpoints, (SELECT count(*) FROM writes_gone)::int AS writes`,
    [checkpointThread, baseId],
  );
  // A separate statement: it must see the checkpoints the first one left.
  await tx.query(
    `DELETE FROM checkpoint_blobs b WHERE b.thread_id = $1 AND NOT EXISTS (
       SELECT 1 FROM checkpoints k WHERE k.thread_id = b.thread_id AND k.checkpoint_ns = b.checkpoint_ns
         AND k.checkpoint -> 'channel_versions' ->> b.channel = b.version)`,
    [checkpointThread],
  );
  return { checkpoints: rows[0]?.checkpoints ?? 0 };
}
