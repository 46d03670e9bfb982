import type { Queryable } from "./db.js";

// The lock comes first: everything after it (ledger, facts, the effect) sees every effect on the key committed
// before. The statement timeout (transaction-local) bounds each later statement, so a statement left running by
// an abandoned attempt cannot hold the connection, the lock and the ROLLBACK behind it indefinitely.
const LOCKED_START_SQL = `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':warden:effect:' || $2, 0)) AS locked,
  set_config('statement_timeout', $1, true) AS statement_timeout`;
const START_SQL = `SELECT set_config('statement_timeout', $1, true) AS statement_timeout`;

/**
 * The first statement of an effect's transaction: sets its statement timeout (`timeoutMs`, transaction-local) and,
 * with a business key, first takes the transaction-scoped advisory lock that serialises effects on that key.
 */
export async function startEffectTransaction(tx: Queryable, timeoutMs: string, businessKey?: string): Promise<void> {
  if (businessKey === undefined) await tx.query(START_SQL, [timeoutMs]);
  else await tx.query(LOCKED_START_SQL, [timeoutMs, businessKey]);
}
