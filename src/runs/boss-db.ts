import type PgBoss from "pg-boss";
import type { Db, Queryable, Transaction } from "../store/db.js";

/**
 * pg-boss runs its SQL through `executeSql`, so it shares Warden's connection: the same `pg.Pool` on Postgres and
 * the one PGlite connection (behind its mutex) when embedded. That is also what lets a job be sent inside one of
 * Warden's transactions: a run's row and the job that executes it commit together or not at all.
 *
 * pg-boss sends two kinds of text: single statements with parameters, and, without parameters, scripts wrapped in
 * `BEGIN; ... COMMIT;` (its migrations and maintenance, see its `locked()`). PGlite's `query` refuses a script, so
 * scripts go to `exec`.
 */
const SCRIPT = /^\s*BEGIN\s*;/i;

export function bossDb(db: Db | Transaction): PgBoss.Db {
  return {
    async executeSql(text: string, values?: unknown[]) {
      if ((values === undefined || values.length === 0) && SCRIPT.test(text)) {
        await db.exec(text);
        return { rows: [] };
      }
      return (db as Queryable).query(text, values ?? []);
    },
  };
}

/** The schema pg-boss keeps its tables in: beside Warden's own, never inside them. */
export function jobsSchemaOf(db: Db): string {
  return db.schema === "public" ? "warden_jobs" : `${db.schema}_jobs`;
}
