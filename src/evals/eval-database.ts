import { loadWardenConfig } from "../runtime/warden-config.js";
import { openStore, type Store } from "../store/open-store.js";
import type { PackSchema } from "../store/pack-schema.js";
import { seedIfEmpty } from "../store/seed.js";
import { listTables, truncateTables, type TableName } from "../store/tables.js";

/** Tables a reset keeps: what migrations and the engine installed, not what a case wrote. */
const KEPT = new Set(["warden_migrations", "checkpoint_migrations"]);
/** pg-boss keeps its queue definitions and version beside the jobs; only the jobs belong to a case. */
const ENGINE_DATA = new Set(["job", "archive"]);

/**
 * Embedded databases for an experiment, never the store that serves traffic. Each case gets a database that holds
 * the seed and nothing else: opening a PGlite costs seconds, so a few are opened once and reset between cases
 * (every table a case can write is truncated and the seed loaded again, in one transaction: ~60 ms), which keeps
 * cases from seeing each other's effects, memories, flags or activations.
 */
export interface EvalDatabases {
  /** Runs `work` on a database of its own, reset to the seed; waits while all are in use. */
  use<T>(work: (store: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

async function truncatableTables(store: Store): Promise<TableName[]> {
  const rows = await listTables(store.db);
  return rows.filter(({ schemaname, tablename }) => (schemaname === store.db.schema ? !KEPT.has(tablename) : schemaname.endsWith("_jobs") && ENGINE_DATA.has(tablename)));
}

/** Empties every table a case can write, then runs the packs' seeds again. */
export async function resetToSeed(store: Store, packs: readonly PackSchema[]): Promise<void> {
  const tables = await truncatableTables(store);
  await store.db.transaction(async (tx) => {
    await truncateTables(tx, tables);
  });
  await seedIfEmpty(store.db, packs);
}

/** `count` databases with the tables and seeds of `packs` (default: those of `warden.config.ts`). */
export async function createEvalDatabases(count: number, packs?: readonly PackSchema[]): Promise<EvalDatabases> {
  const schema = packs ?? (await loadWardenConfig()).packs;
  const idle: Store[] = [];
  const all: Store[] = [];
  const waiting: Array<(store: Store) => void> = [];
  const opened = await Promise.allSettled(Array.from({ length: Math.max(1, count) }, () => openStore({ dataDir: "memory://", packs: schema })));
  for (const result of opened) if (result.status === "fulfilled") all.push(result.value);
  const failure = opened.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failure) {
    await Promise.allSettled(all.map((store) => store.close()));
    throw failure.reason;
  }
  idle.push(...all);
  // A fresh database holds the seed already; only a used one needs a reset.
  const used = new WeakSet<Store>();

  const acquire = () => new Promise<Store>((resolve) => (idle.length > 0 ? resolve(idle.pop()!) : waiting.push(resolve)));
  const release = (store: Store) => {
    const next = waiting.shift();
    if (next) next(store);
    else idle.push(store);
  };
  return {
    async use(work) {
      const store = await acquire();
      try {
        if (used.has(store)) await resetToSeed(store, schema);
        used.add(store);
        return await work(store);
      } finally {
        release(store);
      }
    },
    async close() {
      await Promise.allSettled(all.map((store) => store.close()));
    },
  };
}
