import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Db, Queryable, Transaction } from "./db.js";
import type { PackSchema } from "./pack-schema.js";

const CORE_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));
const FILE_NAME = /^(\d{3})_[a-z0-9_]+\.sql$/;
/**
 * The scope the core's own migrations are recorded under; a pack's are recorded under the pack's name. Core
 * versions are never renumbered: 002 and 007 held tables a pack owns now and stay unused here.
 */
export const CORE_SCOPE = "warden";

export interface Migration {
  scope: string;
  version: number;
  name: string;
  sql: string;
}

export interface AppliedMigration {
  scope: string;
  version: number;
  name: string;
}

// Readiness checks ask for the migrations on every probe; the files do not change while a process runs.
const loaded = new Map<string, Migration[]>();

/** The numbered `.sql` files of `dir`, by number, recorded under `scope`. Default: the core's. */
export function loadMigrations(dir: string = CORE_DIR, scope: string = CORE_SCOPE): Migration[] {
  const key = `${scope}\0${dir}`;
  let migrations = loaded.get(key);
  if (!migrations) {
    migrations = readdirSync(dir)
      .filter((name) => FILE_NAME.test(name))
      .sort()
      .map((name) => ({ scope, version: Number(FILE_NAME.exec(name)![1]), name, sql: readFileSync(join(dir, name), "utf8") }));
    loaded.set(key, migrations);
  }
  return migrations;
}

/**
 * Every migration a database with these packs needs: the core's first (the packs' tables may reference its
 * tenants), then each pack's, pack by pack as given.
 * @throws TypeError when two packs share a name or a pack takes the core's scope.
 */
export function migrationsOf(packs: readonly PackSchema[] = []): Migration[] {
  const scopes = new Set([CORE_SCOPE]);
  const migrations = [...loadMigrations()];
  for (const pack of packs) {
    if (scopes.has(pack.name)) throw new TypeError(`migrations: the scope ${JSON.stringify(pack.name)} is taken (a pack may not be named like the core or another pack)`);
    scopes.add(pack.name);
    if (pack.migrations) migrations.push(...loadMigrations(pack.migrations, pack.name));
  }
  return migrations;
}

/**
 * The tracking table, created or brought to the layout with scopes. Before packs owned migrations it was keyed by
 * version alone; those rows are the core's and keep their versions.
 */
async function ensureTrackingTable(tx: Transaction): Promise<void> {
  const { rows } = await tx.query<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'warden_migrations'",
  );
  if (rows.length === 0) {
    await tx.exec(
      `CREATE TABLE warden_migrations (
         scope text NOT NULL, version integer NOT NULL, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (scope, version))`,
    );
    return;
  }
  if (rows.some((row) => row.column_name === "scope")) return;
  const { rows: keys } = await tx.query<{ conname: string }>(
    "SELECT conname FROM pg_constraint WHERE conrelid = 'warden_migrations'::regclass AND contype = 'p'",
  );
  await tx.exec(`ALTER TABLE warden_migrations ADD COLUMN scope text NOT NULL DEFAULT '${CORE_SCOPE}'`);
  for (const { conname } of keys) await tx.exec(`ALTER TABLE warden_migrations DROP CONSTRAINT "${conname.replaceAll('"', '""')}"`);
  await tx.exec("ALTER TABLE warden_migrations ALTER COLUMN scope DROP DEFAULT, ADD PRIMARY KEY (scope, version)");
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so processes starting together on one
 * database apply each migration exactly once (the tracking table's own upgrade included). Returns those applied
 * by this call.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = migrationsOf()): Promise<AppliedMigration[]> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':warden:migrate'))");
    await ensureTrackingTable(tx);
    const { rows } = await tx.query<{ scope: string; version: number }>("SELECT scope, version FROM warden_migrations");
    const done = new Set(rows.map((row) => `${row.scope}:${row.version}`));
    const applied: AppliedMigration[] = [];
    for (const { scope, version, name, sql } of migrations) {
      if (done.has(`${scope}:${version}`)) continue;
      await tx.exec(sql);
      await tx.query("INSERT INTO warden_migrations (scope, version, name) VALUES ($1, $2, $3)", [scope, version, name]);
      applied.push({ scope, version, name });
    }
    return applied;
  });
}

/** True when every one of `migrations` (scope and version) is recorded (readiness checks). */
export async function migrationsApplied(db: Queryable, migrations: readonly Migration[] = migrationsOf()): Promise<boolean> {
  try {
    const { rows } = await db.query<{ scope: string; version: number }>("SELECT scope, version FROM warden_migrations");
    const done = new Set(rows.map((row) => `${row.scope}:${row.version}`));
    return migrations.every((migration) => done.has(`${migration.scope}:${migration.version}`));
  } catch {
    return false;
  }
}

/** The migrations recorded as applied: the core's, then each pack's, oldest first (`warden migrate` lists them). */
export async function listAppliedMigrations(db: Queryable): Promise<AppliedMigration[]> {
  const { rows } = await db.query<AppliedMigration>(
    `SELECT scope, version, name FROM warden_migrations ORDER BY scope <> '${CORE_SCOPE}', applied_at, scope, version`,
  );
  return rows;
}
