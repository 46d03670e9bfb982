import pg from "pg";
import type { Db, PoolLike, QueryResult, Transaction } from "./db.js";

export interface PgDbOptions {
  connectionString: string;
  /** Postgres schema for all tables; created when missing. Tests use one schema per file to stay isolated. */
  schema?: string;
  max?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const ignoreConnectionError = () => {};

async function currentSchema(pool: pg.Pool): Promise<string> {
  let schema: string | null | undefined;
  try {
    schema = (await pool.query<{ schema: string | null }>("SELECT current_schema() AS schema")).rows[0]?.schema;
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  if (!schema || !SCHEMA_NAME.test(schema)) {
    await pool.end().catch(() => {});
    throw new Error(`DATABASE_URL's search_path resolves to ${schema ? `schema "${schema}", which Warden cannot use (lower-case letters, digits, _)` : "no existing schema"}`);
  }
  return schema;
}

export async function createPgDb(options: PgDbOptions): Promise<Db> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) throw new Error(`invalid schema name: ${options.schema}`);
  if (options.schema !== undefined && options.schema !== "public") {
    const schema = options.schema;
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
    options: options.schema === undefined || options.schema === "public" ? undefined : `-c search_path=${options.schema}`,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  inner.on("error", () => {});
  // Nor a client lent out: pg-pool takes its own error listener off a client while it is checked out, so a connection
  // that dies between two statements of a transaction (the server stopped, the backend was terminated), or right as
  // pg-pool hands the client to the next `connect()` (before the caller can listen), would emit an 'error' nobody
  // hears, which kills the process. Every client keeps this listener for its life; its next statement fails instead.
  inner.on("connect", (client) => client.on("error", ignoreConnectionError));
  // Without an explicit schema, use the one the connection resolves to (a search_path in DATABASE_URL's
  // `options` or the role's default): our tables follow search_path, so the checkpoint tables must too.
  const schema = options.schema ?? (await currentSchema(inner));
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
