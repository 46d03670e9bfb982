import type { Queryable } from "./db.js";

/**
 * Takes the advisory lock that serialises installing the job engine's schema and queues (until the transaction
 * ends): processes starting together on one Postgres install one after the other.
 */
export async function lockJobEngineInstall(tx: Queryable): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':warden:job-engine-install', 0))");
}
