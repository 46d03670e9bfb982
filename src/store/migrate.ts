import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Db, Queryable } from "./db.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));
const FILE_NAME = /^(\d{3})_[a-z0-9_]+\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((name) => FILE_NAME.test(name))
    .sort()
    .map((name) => ({ version: Number(FILE_NAME.exec(name)![1]), name, sql: readFileSync(dir + name, "utf8") }));
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so processes starting together on
 * one database apply each migration exactly once. Returns the versions applied by this call.
 */
export async function migrate(db: Db, migrations: Migration[] = loadMigrations()): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':warden:migrate'))");
    await tx.query(
      "CREATE TABLE IF NOT EXISTS warden_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const { rows } = await tx.query<{ version: number }>("SELECT version FROM warden_migrations");
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO warden_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return applied;
  });
}

/** True when every known migration is recorded (used by readiness checks). */
export async function migrationsApplied(db: Db, migrations: Migration[] = loadMigrations()): Promise<boolean> {
  try {
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM warden_migrations");
    return (rows[0]?.n ?? 0) >= migrations.length;
  } catch {
    return false;
  }
}

/** The migrations recorded as applied, oldest first (`warden migrate` lists them). */
export async function listAppliedMigrations(db: Queryable): Promise<Array<{ version: number; name: string }>> {
  const { rows } = await db.query<{ version: number; name: string }>("SELECT version, name FROM warden_migrations ORDER BY version");
  return rows;
}
