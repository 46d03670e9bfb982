import type { Db, PoolLike, QueryResult, Transaction } from "../src/store/db.js";

/**
 * Where a run's SQL goes. The runtime reaches the database two ways: `db.query`/`db.transaction` (Warden's own
 * tables) and `db.pool` (only the LangGraph checkpointer uses it). The wrapper below tags each statement with
 * the way it came in and classifies its text, and times it.
 */
export type SqlGroup = "checkpoint" | "trace" | "ledger" | "approvals" | "runs" | "tools" | "app tx" | "other";

export interface SqlCategory {
  group: SqlGroup;
  /** e.g. "checkpoint: blobs upsert", "trace: run_events insert". */
  name: string;
}

export interface SqlTally {
  statements: number;
  /** Summed wall time of the statements (they can overlap when checkpoint writes run asynchronously). */
  ms: number;
}

export interface SqlProfiler {
  /** The tally per category name since the last reset. */
  snapshot(): Map<string, SqlTally & SqlCategory>;
  reset(): void;
}

const rules: Array<[RegExp, SqlCategory]> = [
  [/^\s*(BEGIN|COMMIT|ROLLBACK)\b/i, { group: "app tx", name: "app: BEGIN/COMMIT" }],
  [/\bINSERT INTO run_events\b/i, { group: "trace", name: "trace: run_events insert" }],
  [/\bFROM run_events\b/i, { group: "trace", name: "trace: run_events read" }],
  [/pg_advisory_xact_lock/i, { group: "trace", name: "trace: advisory lock" }],
  [/\bINSERT INTO tool_effects\b/i, { group: "ledger", name: "ledger: begin (upsert)" }],
  [/\bUPDATE tool_effects\b/i, { group: "ledger", name: "ledger: complete/fail/attempt" }],
  [/\bFROM tool_effects\b/i, { group: "ledger", name: "ledger: read effects (run record)" }],
  [/\bINSERT INTO approvals\b/i, { group: "approvals", name: "approvals: insert" }],
  [/\bUPDATE approvals\b/i, { group: "approvals", name: "approvals: decide (conditional update)" }],
  [/\bFROM approvals\b.*\bapproval_id = \$2/is, { group: "approvals", name: "approvals: get by id" }],
  [/\bFROM approvals\b/i, { group: "approvals", name: "approvals: list pending (run record)" }],
  [/\bINSERT INTO refunds\b/i, { group: "tools", name: "tools: issue_refund (provider insert)" }],
  [/\bFROM orders\b/i, { group: "tools", name: "tools: order read (lookup_order, policy facts)" }],
  [/\bINSERT INTO runs\b/i, { group: "runs", name: "runs: insert" }],
  [/\bUPDATE runs\b/i, { group: "runs", name: "runs: update status" }],
  [/\bFROM runs\b/i, { group: "runs", name: "runs: read" }],
];

const checkpointRules: Array<[RegExp, string]> = [
  [/^\s*(BEGIN|COMMIT|ROLLBACK)\b/i, "checkpoint: BEGIN/COMMIT"],
  [/\bINSERT INTO\s+\S*checkpoint_blobs\b/i, "checkpoint: blobs upsert"],
  [/\bINSERT INTO\s+\S*checkpoint_writes\b/i, "checkpoint: writes upsert"],
  [/\bINSERT INTO\s+\S*checkpoints\b/i, "checkpoint: checkpoints upsert"],
  [/^\s*select\b/i, "checkpoint: read (getTuple/list)"],
];

export function classifySql(via: "app" | "checkpointer", text: string): SqlCategory {
  if (via === "checkpointer") {
    const hit = checkpointRules.find(([pattern]) => pattern.test(text));
    return { group: "checkpoint", name: hit ? hit[1] : "checkpoint: other" };
  }
  const hit = rules.find(([pattern]) => pattern.test(text));
  return hit ? hit[1] : { group: "other", name: `other: ${text.replace(/\s+/g, " ").trim().slice(0, 60)}` };
}

/**
 * Wraps `db` so every statement is classified and timed; statementCount still comes from the wrapped Db (so the
 * wrapper's total can be checked against it). `db.transaction`'s own BEGIN/COMMIT are not visible through the
 * Transaction it hands out, so they are tallied here when the transaction ends.
 */
export function profileDb(db: Db): { db: Db; profiler: SqlProfiler } {
  const tally = new Map<string, SqlTally & SqlCategory>();
  const record = (category: SqlCategory, ms: number, statements = 1) => {
    const entry = tally.get(category.name) ?? { ...category, statements: 0, ms: 0 };
    entry.statements += statements;
    entry.ms += ms;
    tally.set(category.name, entry);
  };
  async function timed<T>(via: "app" | "checkpointer", text: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      record(classifySql(via, text), performance.now() - started);
    }
  }

  const pool: PoolLike = {
    query: (text, params) => timed("checkpointer", text, () => db.pool.query(text, params)),
    async connect() {
      const client = await db.pool.connect();
      return {
        query: (text: string, params?: unknown[]) => timed("checkpointer", text, () => client.query(text, params)),
        release: () => client.release(),
      };
    },
    end: () => db.pool.end(),
  };

  const wrapped: Db = {
    kind: db.kind,
    schema: db.schema,
    pool,
    query: <Row>(text: string, params?: unknown[]): Promise<QueryResult<Row>> => timed("app", text, () => db.query<Row>(text, params)),
    exec: (sql) => timed("app", sql, () => db.exec(sql)),
    async transaction(fn) {
      try {
        return await db.transaction((tx) => {
          const inner: Transaction = {
            query: <Row>(text: string, params?: unknown[]) => timed("app", text, () => tx.query<Row>(text, params)),
            exec: (sql) => timed("app", sql, () => tx.exec(sql)),
          };
          return fn(inner);
        });
      } finally {
        record({ group: "app tx", name: "app: BEGIN/COMMIT" }, 0, 2);
      }
    },
    statementCount: () => db.statementCount(),
    close: () => db.close(),
  };

  return {
    db: wrapped,
    profiler: {
      snapshot: () => new Map([...tally].map(([name, entry]) => [name, { ...entry }])),
      reset: () => tally.clear(),
    },
  };
}
