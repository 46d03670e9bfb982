import type { Queryable, Transaction } from "./db.js";

/** A table of the database, by schema and name. */
export interface TableName {
  schemaname: string;
  tablename: string;
}

/** Every table outside the system schemas, by schema then name. */
export async function listTables(db: Queryable): Promise<TableName[]> {
  const { rows } = await db.query<TableName>(
    `SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
  );
  return rows;
}

/** Empties `tables` in one statement (identities restarted, dependent rows with them). */
export async function truncateTables(tx: Transaction, tables: readonly TableName[]): Promise<void> {
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  await tx.exec(`TRUNCATE ${tables.map(({ schemaname, tablename }) => `${quote(schemaname)}.${quote(tablename)}`).join(", ")} RESTART IDENTITY CASCADE`);
}
