import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { defineAgent, definePack } from "../../src/kernel/pack.js";
import { seedSupport } from "../../src/packs/support/seed.js";
import type { Db } from "../../src/store/db.js";
import { listAppliedMigrations, loadMigrations, migrate, migrationsApplied, migrationsOf } from "../../src/store/migrate.js";
import { openDb } from "../../src/store/open-store.js";
import { prepareSchema } from "../../src/store/prepare-schema.js";
import { seedIfEmpty } from "../../src/store/seed.js";

/** The migrations as they were before packs owned their tables (verbatim copies of `src/store/migrations/`). */
const LEGACY_DIR = fileURLToPath(new URL("../fixtures/legacy-migrations/", import.meta.url));
const databaseUrl = process.env.DATABASE_URL;
/** The support pack as the store sees it (its `migrations` and `seed`), without loading its graphs. */
const supportPack = { name: "support", migrations: fileURLToPath(new URL("../../src/packs/support/migrations/", import.meta.url)), seed: seedSupport };

interface Opened {
  db: Db;
  close(): Promise<void>;
}

/** A database of its own on each backend: in-memory PGlite, or a fresh schema on the server (dropped on close). */
const backends: Array<{ name: string; open(): Promise<Opened> }> = [
  { name: "pglite", open: async () => { const db = await openDb({ dataDir: "memory://" }); return { db, close: () => db.close() }; } },
  ...(databaseUrl
    ? [{
        name: "postgres",
        async open(): Promise<Opened> {
          const schema = `t_${randomBytes(6).toString("hex")}`;
          const db = await openDb({ databaseUrl, schema });
          return {
            db,
            async close() {
              await db.close();
              const client = new pg.Client({ connectionString: databaseUrl });
              await client.connect();
              await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
            },
          };
        },
      }]
    : []),
];

/** What `migrate` did before scopes: a tracking table keyed by version alone, every file of one folder. */
async function migrateTheOldWay(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':warden:migrate'))");
    await tx.query("CREATE TABLE IF NOT EXISTS warden_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    for (const migration of loadMigrations(LEGACY_DIR, "legacy")) {
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO warden_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
    }
  });
}

const refund = (db: Db, id: string, cents: number) =>
  db.query("INSERT INTO refunds (tenant_id, refund_id, order_id, amount_cents, idempotency_key) VALUES ('acme', $1, 'L-1', $2, $1)", [id, cents]);

describe.each(backends)("pack migrations on $name", (backend) => {
  let opened: Opened | undefined;
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });

  it("a database migrated by the old layout (core versions 1..8 with the domain's tables) moves to scopes with its data and trigger intact", async () => {
    opened = await backend.open();
    const { db } = opened;
    await migrateTheOldWay(db);
    await db.query("INSERT INTO tenants (tenant_id, name) VALUES ('acme', 'Acme Corp')");
    await db.query("INSERT INTO orders (tenant_id, order_id, customer_email, total_cents, status) VALUES ('acme', 'L-1', 'lee@example.com', 5000, 'delivered')");
    await refund(db, "re_old", 3000);

    const migrations = migrationsOf([supportPack]);
    expect(await migrationsApplied(db, migrations)).toBe(false);
    // Only the pack's migrations are new: the core's versions were recorded before (002 and 007 among them).
    const applied = await migrate(db, migrations);
    expect(applied.map(({ scope, version }) => `${scope}/${version}`)).toEqual(["support/1", "support/2", "support/3"]);
    expect(await migrationsApplied(db, migrations)).toBe(true);
    expect(await migrate(db, migrations)).toEqual([]);

    const recorded = await listAppliedMigrations(db);
    expect(recorded.filter((row) => row.scope === "warden").map((row) => row.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(recorded.filter((row) => row.scope === "support").map((row) => row.name)).toEqual(["001_orders_refunds.sql", "002_outbox.sql", "003_refund_limits.sql"]);
    // The tracking table is keyed by scope and version now: a pack's 001 sits beside the core's.
    const { rows: key } = await db.query<{ columns: string }>(
      `SELECT string_agg(a.attname, ',' ORDER BY k.n) AS columns
       FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
       WHERE i.indrelid = 'warden_migrations'::regclass AND i.indisprimary`,
    );
    expect(key).toEqual([{ columns: "scope,version" }]);

    // The data is intact, nothing was seeded over it, and the trigger still guards the order's total (once).
    const { rows: orders } = await db.query("SELECT order_id, total_cents FROM orders");
    expect(orders).toEqual([{ order_id: "L-1", total_cents: 5000 }]);
    const { rows: refunds } = await db.query("SELECT refund_id, amount_cents FROM refunds");
    expect(refunds).toEqual([{ refund_id: "re_old", amount_cents: 3000 }]);
    expect(await seedIfEmpty(db, [supportPack])).toBe(false);
    await expect(refund(db, "re_over", 2500)).rejects.toThrow(/exceeds order L-1's total of 5000 cents \(3000 cents already refunded\)/);
    await refund(db, "re_rest", 2000);
    const { rows: triggers } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'refunds'::regclass AND tgname = 'refunds_within_order_total'",
    );
    expect(triggers).toEqual([{ n: 1 }]);
  });

  it("a new database gets the core's tables alone until a pack's are asked for, then the pack's and its seed", async () => {
    opened = await backend.open();
    const { db } = opened;
    await prepareSchema(db, []);
    const tables = async () =>
      (await db.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).rows.map((row) => row.tablename);
    expect(await tables()).toEqual(expect.arrayContaining(["tenants", "runs", "tool_effects", "approvals", "eval_runs"]));
    expect(await tables()).not.toEqual(expect.arrayContaining(["orders"]));
    expect(await migrationsApplied(db)).toBe(true);
    expect(await migrationsApplied(db, migrationsOf([supportPack]))).toBe(false);
    // No pack, no seed: the tenants are the pack's demo data.
    expect((await db.query("SELECT tenant_id FROM tenants")).rows).toEqual([]);

    await prepareSchema(db, [supportPack]);
    expect(await tables()).toEqual(expect.arrayContaining(["orders", "refunds", "outbox"]));
    expect(await migrationsApplied(db, migrationsOf([supportPack]))).toBe(true);
    const { rows } = await db.query<{ tenant_id: string; n: number }>("SELECT tenant_id, count(*)::int AS n FROM orders GROUP BY tenant_id ORDER BY tenant_id");
    expect(rows).toEqual([{ tenant_id: "acme", n: 3 }, { tenant_id: "globex", n: 1 }]);
    // The core's versions keep their numbers: 002 and 007 moved to the pack and are not reused.
    expect((await listAppliedMigrations(db)).filter((row) => row.scope === "warden").map((row) => row.version)).toEqual([1, 3, 4, 5, 6, 8]);
  });
});

describe("migration scopes", () => {
  it("refuses two packs with one name, and a pack named like the core", () => {
    expect(() => migrationsOf([supportPack, supportPack])).toThrow(/scope "support" is taken/);
    expect(() => migrationsOf([{ name: "warden", migrations: LEGACY_DIR }])).toThrow(/scope "warden" is taken/);
    const agent = defineAgent({ node: "helper", description: "", build: () => ({ compile: () => ({}) }) });
    expect(() => definePack({ name: "warden", root: LEGACY_DIR, tools: [], agents: [agent] })).toThrow(/core's own name/);
  });
});
