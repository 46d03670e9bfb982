/**
 * One Postgres dialect for the whole runtime. `pg.Pool` (DATABASE_URL) and PGlite (embedded) both sit behind
 * this interface, so every query, migration and the LangGraph checkpointer run the same SQL on both.
 */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>>;
}

/** The subset of `pg.Pool` that `PostgresSaver` uses (query, connect → client, end). */
export interface PoolLike {
  query(text: string, params?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
  connect(): Promise<{ query(text: string, params?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>; release(): void }>;
  end(): Promise<void>;
}

/** A connection inside BEGIN/COMMIT. `exec` runs a multi-statement script (migrations). */
export interface Transaction extends Queryable {
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: "postgres" | "pglite";
  /** Schema holding Warden's and the checkpointer's tables (`public` unless isolated, e.g. per test file). */
  readonly schema: string;
  /** A pool shaped like `pg.Pool`, handed to `PostgresSaver`. Statements through it are counted too. */
  readonly pool: PoolLike;
  /** Runs a multi-statement SQL script (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` inside BEGIN/COMMIT on one connection; ROLLBACK when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** SQL statements sent so far (including BEGIN/COMMIT and the checkpointer's): the benchmark's cost unit. */
  statementCount(): number;
  close(): Promise<void>;
}
