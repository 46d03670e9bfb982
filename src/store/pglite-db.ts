import type { PGlite } from "@electric-sql/pglite";
import { openPglite } from "./pglite-template.js";
import type { Db, PoolLike, QueryResult, Transaction } from "./db.js";
import { acquireDataDirLock, type DataDirLock } from "./data-dir-lock.js";

/**
 * PGlite has one connection. `connect()` hands it out exclusively (a FIFO mutex), so a transaction opened by
 * `PostgresSaver` or by `transaction()` is never interleaved with another caller's statements.
 */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => next);
    await previous;
    return release;
  }
}

export interface PgliteDbOptions {
  /** A directory, or `memory://` for an in-memory database. */
  dataDir: string;
}

export async function createPgliteDb(options: PgliteDbOptions): Promise<Db> {
  const inMemory = options.dataDir === "memory://" || options.dataDir === "";
  const lock: DataDirLock | undefined = inMemory ? undefined : acquireDataDirLock(options.dataDir);
  let pglite: PGlite;
  try {
    pglite = await openPglite(inMemory ? undefined : options.dataDir);
  } catch (error) {
    lock?.release();
    throw error;
  }
  const mutex = new Mutex();
  let statements = 0;

  const raw = async <Row>(text: string, params?: unknown[]): Promise<QueryResult<Row>> => {
    statements++;
    const result = await pglite.query<Row>(text, params as any[] | undefined);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  };

  const query = async <Row>(text: string, params?: unknown[]): Promise<QueryResult<Row>> => {
    const release = await mutex.acquire();
    try {
      return await raw<Row>(text, params);
    } finally {
      release();
    }
  };

  const pool: PoolLike = {
    query: (text, params) => query(text, params),
    async connect() {
      const release = await mutex.acquire();
      let released = false;
      return {
        query: (text: string, params?: unknown[]) => raw(text, params),
        release() {
          if (released) return;
          released = true;
          release();
        },
      };
    },
    // The saver's end() must not close the shared instance: the Db owns its lifetime.
    async end() {},
  };

  let closed = false;
  return {
    kind: "pglite",
    schema: "public",
    pool,
    query,
    async exec(sql) {
      const release = await mutex.acquire();
      try {
        statements++;
        await pglite.exec(sql);
      } finally {
        release();
      }
    },
    async transaction(fn) {
      const release = await mutex.acquire();
      try {
        await raw("BEGIN");
        const tx: Transaction = {
          query: (text, params) => raw(text, params),
          async exec(sql) {
            statements++;
            await pglite.exec(sql);
          },
        };
        try {
          const result = await fn(tx);
          await raw("COMMIT");
          return result;
        } catch (error) {
          await raw("ROLLBACK");
          throw error;
        }
      } finally {
        release();
      }
    },
    statementCount: () => statements,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}
