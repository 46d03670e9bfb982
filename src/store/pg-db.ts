import pg from "pg";
import type { Db, PoolLike, QueryResult, Transaction } from "./db.js";

export interface PgDbOptions {
  connectionString: string;
  /** Postgres schema for all tables; created when missing. Tests use one schema per file to stay isolated. */
  schema?: string;
  max?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function createPgDb(options: PgDbOptions): Promise<Db> {
  const schema = options.schema ?? "public";
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  if (schema !== "public") {
    const admin = new pg.Client({ connectionString: options.connectionString });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } finally {
      await admin.end();
    }
  }
  const inner = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    options: schema === "public" ? undefined : `-c search_path=${schema}`,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  inner.on("error", () => {});
  let statements = 0;

  const query = async <Row>(text: string, params?: unknown[]): Promise<QueryResult<Row>> => {
    statements++;
    const result = await inner.query(text, params as any[] | undefined);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
  };

  const pool: PoolLike = {
    query: (text, params) => query(text, params),
    async connect() {
      const client = await inner.connect();
      return {
        async query(text: string, params?: unknown[]) {
          statements++;
          return client.query(text, params as any[] | undefined);
        },
        release: () => client.release(),
      };
    },
    async end() {},
  };

  let closed = false;
  return {
    kind: "postgres",
    schema,
    pool,
    query,
    async exec(sql) {
      statements++;
      await inner.query(sql);
    },
    async transaction(fn) {
      const client = await inner.connect();
      const tx: Transaction = {
        async exec(sql: string) {
          statements++;
          await client.query(sql);
        },
        async query<Row>(text: string, params?: unknown[]) {
          statements++;
          const result = await client.query(text, params as any[] | undefined);
          return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
        },
      };
      try {
        await tx.query("BEGIN");
        const result = await fn(tx);
        await tx.query("COMMIT");
        return result;
      } catch (error) {
        await tx.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    statementCount: () => statements,
    async close() {
      if (closed) return;
      closed = true;
      await inner.end();
    },
  };
}
