import { DeltaChannel, type BaseChannel } from "@langchain/langgraph";
import { DeltaSnapshot } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import type pg from "pg";
import type { Db, Queryable } from "./db.js";

export type PruneMode = "keep_latest" | "delete_thread";
export const PRUNE_MODES = ["keep_latest", "delete_thread"] as const satisfies readonly PruneMode[];

export interface PruneCheckpointsOptions {
  /** Threads whose newest run was last updated before this instant are pruned. */
  olderThan: Date;
  /**
   * `keep_latest` (default): keep the thread's latest root checkpoint, the blobs it references and its own pending
   * writes, so its state still reads the same and a new run on the thread continues the conversation.
   * `delete_thread`: delete every checkpoint row of the thread (its runs and traces stay).
   */
  mode?: PruneMode;
  /** Threads per transaction (default 500): a large backlog never becomes one long transaction. */
  batchSize?: number;
  /**
   * Channels of the graph that wrote the checkpoints (the store knows no graph: callers pass the runtime's,
   * `runtimeChannels()` in `src/kernel/state.ts`). Delta channels among them are folded in keep_latest mode.
   * The root graph's channels suffice: only a root checkpoint is kept, and subgraph checkpoints (a workflow's own
   * channels live only there) are deleted whole, never read.
   */
  channels: Record<string, BaseChannel>;
  /** Stops after the batch in flight (a server shutting down should not wait for a whole backlog). */
  signal?: AbortSignal;
}

export interface PruneCounts {
  /** Threads that had rows deleted. */
  threads: number;
  checkpoints: number;
  blobs: number;
  writes: number;
}

/**
 * A run in one of these may still need the thread's history: queued, running and waiting runs resume from it (a
 * queued one starts on it), and a failed run can be recovered from its last checkpoint (`runtime.recover`).
 */
const KEEP_STATUSES = "('queued', 'running', 'waiting_approval', 'failed')";

interface Candidate {
  tenant_id: string;
  thread_id: string;
  /** The checkpointer's thread id, `<tenant>/<thread>` (see checkpointThreadId). */
  checkpoint_thread: string;
  /** The root checkpoint to keep; null in delete_thread mode or when the thread has no root checkpoint. */
  keep_id: string | null;
}

interface FoldedBlob {
  thread: string;
  channel: string;
  version: string;
  type: string;
  blob: Uint8Array;
}

// Row predicates shared by the selection and the deletes, so "has something to prune" and "what is deleted"
// cannot drift apart. `t` provides checkpoint_thread and keep_id; a NULL keep_id keeps nothing.
const checkpointGoes = (c: string) => `(${c}.checkpoint_ns <> '' OR ${c}.checkpoint_id IS DISTINCT FROM t.keep_id)`;
// The kept checkpoint's own writes stay: they are its pending tasks (an interrupt the state still shows). A
// finished thread's latest checkpoint has none, so in practice this keeps nothing.
const writeGoes = checkpointGoes;
// A blob stays when the kept checkpoint's channel_versions point at it: the saver's read joins exactly these.
const blobGoes = (b: string) => `NOT (${b}.checkpoint_ns = '' AND EXISTS (
    SELECT 1 FROM checkpoints k
    WHERE k.thread_id = ${b}.thread_id AND k.checkpoint_ns = '' AND k.checkpoint_id = t.keep_id
      AND k.checkpoint -> 'channel_versions' ->> ${b}.channel = ${b}.version))`;

/**
 * Deletes the checkpoints of finished threads after their retention period; `PostgresSaver` has no prune of its
 * own, and every superstep of every run adds a checkpoint, its blobs and its writes. A thread qualifies when none
 * of its runs is running, waiting for approval or failed, and its newest run was last updated before
 * `olderThan`. The sweep covers every tenant (checkpoint thread ids are `<tenant>/<thread>`) and works in batches
 * of `batchSize` threads, one transaction each; running it again deletes nothing.
 *
 * keep_latest folds delta channels first. The agent's `messages` is a `DeltaChannel`: a checkpoint stores no
 * value for it, and LangGraph rebuilds it by replaying the channel's writes of every ancestor checkpoint back to
 * the last snapshot. Deleting those ancestors and writes as they are would empty the conversation, so the kept
 * checkpoint's blob for such a channel (type `empty`) is replaced by a `DeltaSnapshot` of the rebuilt value, the
 * same blob LangGraph writes every `snapshotFrequency` updates, before anything is deleted.
 *
 * @example
 * const counts = await pruneCheckpoints(store.db, { olderThan: new Date(Date.now() - 30 * 86_400_000) });
 */
export async function pruneCheckpoints(db: Db, options: PruneCheckpointsOptions): Promise<PruneCounts> {
  const keepLatest = (options.mode ?? "keep_latest") === "keep_latest";
  const batchSize = options.batchSize ?? 500;
  // Reads only, so the stock saver reads what the batched one wrote (same tables, same serialisation).
  const saver = new PostgresSaver(db.pool as unknown as pg.Pool, undefined, { schema: db.schema });
  const channels = options.channels;
  const total: PruneCounts = { threads: 0, checkpoints: 0, blobs: 0, writes: 0 };
  let after: Candidate | undefined;
  while (!options.signal?.aborted) {
    const batch = await selectCandidates(db, { keepLatest, olderThan: options.olderThan, after, limit: batchSize });
    if (batch.length === 0) break;
    // The saver reads through the pool, outside the transaction: on PGlite a read inside it would wait forever for
    // the one connection the transaction holds. Folding is safe on its own (see foldDeltaChannels). keep_id is
    // null in delete_thread mode: nothing is kept, so nothing is folded.
    const folded: FoldedBlob[] = [];
    for (const thread of batch) {
      if (thread.keep_id) folded.push(...(await foldDeltaChannels(saver, channels, thread.checkpoint_thread, thread.keep_id)));
    }
    const counts = await db.transaction(async (tx) => {
      await writeFolded(tx, folded);
      return deleteBatch(tx, batch, { keepLatest, olderThan: options.olderThan });
    });
    for (const key of Object.keys(total) as (keyof PruneCounts)[]) total[key] += counts[key];
    if (batch.length < batchSize) break;
    after = batch[batch.length - 1];
  }
  return total;
}

/**
 * Threads that qualify and still have rows to delete, sorted by (tenant, thread), after `after`. Keyset pagination
 * guarantees the loop ends even when a thread is skipped at delete time (a new run started meanwhile).
 */
async function selectCandidates(
  db: Queryable,
  query: { keepLatest: boolean; olderThan: Date; after: Candidate | undefined; limit: number },
): Promise<Candidate[]> {
  const { rows } = await db.query<Candidate>(
    `WITH finished AS (
       SELECT tenant_id, thread_id, tenant_id || '/' || thread_id AS checkpoint_thread
       FROM runs
       WHERE $1::text IS NULL OR (tenant_id, thread_id) > ($1::text, $2::text)
       GROUP BY tenant_id, thread_id
       HAVING max(updated_at) < $3 AND count(*) FILTER (WHERE status IN ${KEEP_STATUSES}) = 0
     ), t AS (
       SELECT f.*, CASE WHEN $4::boolean THEN (
                SELECT c.checkpoint_id FROM checkpoints c
                WHERE c.thread_id = f.checkpoint_thread AND c.checkpoint_ns = ''
                ORDER BY c.checkpoint_id DESC LIMIT 1) END AS keep_id
       FROM finished f
     )
     SELECT t.tenant_id, t.thread_id, t.checkpoint_thread, t.keep_id FROM t
     WHERE EXISTS (SELECT 1 FROM checkpoints c WHERE c.thread_id = t.checkpoint_thread AND ${checkpointGoes("c")})
        OR EXISTS (SELECT 1 FROM checkpoint_writes w WHERE w.thread_id = t.checkpoint_thread AND ${writeGoes("w")})
        OR EXISTS (SELECT 1 FROM checkpoint_blobs b WHERE b.thread_id = t.checkpoint_thread AND ${blobGoes("b")})
     ORDER BY t.tenant_id, t.thread_id
     LIMIT $5`,
    [query.after?.tenant_id ?? null, query.after?.thread_id ?? null, query.olderThan, query.keepLatest, query.limit],
  );
  return rows;
}

/** LangGraph rebuilds these from ancestor writes when the checkpoint stores no value for them. */
function isReplayed(channel: BaseChannel): boolean {
  return channel.lc_graph_name === "DeltaChannel" || channel.lc_graph_name === "BinaryOperatorAggregate";
}

/**
 * The value of each delta channel at the kept checkpoint, rebuilt the way LangGraph's `channelsFromCheckpoint`
 * does (nearest stored seed + the writes after it), serialised as the blob the kept checkpoint should have had.
 * Safe without a lock: a blob is keyed by (channel, version) and a version's value never changes, so writing the
 * snapshot is right even if a new run on the thread started since.
 */
async function foldDeltaChannels(saver: PostgresSaver, channels: Record<string, BaseChannel>, thread: string, keepId: string): Promise<FoldedBlob[]> {
  const config = { configurable: { thread_id: thread, checkpoint_ns: "", checkpoint_id: keepId } };
  const tuple = await saver.getTuple(config);
  if (!tuple) return [];
  const { channel_values: values, channel_versions: versions } = tuple.checkpoint;
  const keys = Object.keys(channels).filter((key) => isReplayed(channels[key]!) && versions[key] !== undefined && !Object.hasOwn(values, key));
  if (keys.length === 0) return [];
  const histories = await saver.getDeltaChannelHistory({ config, channels: keys });
  const folded: FoldedBlob[] = [];
  for (const key of keys) {
    const history = histories[key] ?? { writes: [] };
    const channel = channels[key]!.fromCheckpoint(history.seed);
    if (channel instanceof DeltaChannel) channel.replayWrites(history.writes);
    else for (const [, , value] of history.writes) channel.update([value]);
    if (!channel.isAvailable()) continue; // empty before the prune, and (no seed, no writes) empty after it
    const value = channel instanceof DeltaChannel ? new DeltaSnapshot(channel.get()) : channel.checkpoint();
    const [type, blob] = await saver.serde.dumpsTyped(value);
    folded.push({ thread, channel: key, version: String(versions[key]), type, blob: new Uint8Array(blob) });
  }
  return folded;
}

/** Only over an `empty` blob: one already holding a value is left as the saver wrote it. */
async function writeFolded(tx: Queryable, folded: FoldedBlob[]): Promise<void> {
  if (folded.length === 0) return;
  const params = folded.flatMap((row) => [row.thread, row.channel, row.version, row.type, row.blob]);
  const tuples = folded.map((_, index) => `($${index * 5 + 1}, '', $${index * 5 + 2}, $${index * 5 + 3}, $${index * 5 + 4}, $${index * 5 + 5})`);
  await tx.query(
    `INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob) VALUES ${tuples.join(", ")}
     ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO UPDATE SET type = EXCLUDED.type, blob = EXCLUDED.blob
     WHERE checkpoint_blobs.type = 'empty'`,
    params,
  );
}

/**
 * One statement for the three tables, so they are pruned from one snapshot. The thread's conditions are checked
 * again here: a run started (or finished) on it since the selection drops it from this batch, and in keep_latest
 * a thread whose latest root checkpoint moved on is skipped rather than losing its new checkpoint.
 */
async function deleteBatch(tx: Queryable, batch: Candidate[], check: { keepLatest: boolean; olderThan: Date }): Promise<PruneCounts> {
  const { rows } = await tx.query<PruneCounts>(
    `WITH t AS (
       SELECT input.checkpoint_thread, input.keep_id
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS input(tenant_id, thread_id, checkpoint_thread, keep_id)
       WHERE NOT EXISTS (
           SELECT 1 FROM runs r WHERE r.tenant_id = input.tenant_id AND r.thread_id = input.thread_id
             AND (r.status IN ${KEEP_STATUSES} OR r.updated_at >= $5))
         AND (NOT $6::boolean OR input.keep_id IS NOT DISTINCT FROM (
           SELECT c.checkpoint_id FROM checkpoints c
           WHERE c.thread_id = input.checkpoint_thread AND c.checkpoint_ns = ''
           ORDER BY c.checkpoint_id DESC LIMIT 1))
     ), checkpoints_gone AS (
       DELETE FROM checkpoints c USING t WHERE c.thread_id = t.checkpoint_thread AND ${checkpointGoes("c")} RETURNING c.thread_id
     ), writes_gone AS (
       DELETE FROM checkpoint_writes w USING t WHERE w.thread_id = t.checkpoint_thread AND ${writeGoes("w")} RETURNING w.thread_id
     ), blobs_gone AS (
       DELETE FROM checkpoint_blobs b USING t WHERE b.thread_id = t.checkpoint_thread AND ${blobGoes("b")} RETURNING b.thread_id
     )
     SELECT
       (SELECT count(DISTINCT thread_id) FROM (
          SELECT thread_id FROM checkpoints_gone UNION ALL SELECT thread_id FROM writes_gone UNION ALL SELECT thread_id FROM blobs_gone) gone)::int AS threads,
       (SELECT count(*) FROM checkpoints_gone)::int AS checkpoints,
       (SELECT count(*) FROM blobs_gone)::int AS blobs,
       (SELECT count(*) FROM writes_gone)::int AS writes`,
    [
      batch.map((thread) => thread.tenant_id),
      batch.map((thread) => thread.thread_id),
      batch.map((thread) => thread.checkpoint_thread),
      batch.map((thread) => thread.keep_id),
      check.olderThan,
      check.keepLatest,
    ],
  );
  return rows[0]!;
}

/** The `olderThan` for a retention of `days` days as of `now`. */
export function retentionCutoff(days: number, now: Date = new Date()): Date {
  return new Date(now.getTime() - days * 86_400_000);
}
