import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { supportPack } from "../../src/packs/support/index.js";
import { migrate, migrationsApplied, migrationsOf } from "../../src/store/migrate.js";
import type { Store } from "../../src/store/open-store.js";
import { seedIfEmpty } from "../../src/store/seed.js";
import { backends } from "../helpers/backends.js";

describe.each(backends)("store on $name", (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store.close();
  });

  it("applies every numbered migration once; applying again (even concurrently) changes nothing", async () => {
    const migrations = migrationsOf([supportPack]);
    expect(await migrationsApplied(store.db, migrations)).toBe(true);
    const [first, second] = await Promise.all([migrate(store.db, migrations), migrate(store.db, migrations)]);
    expect(first).toEqual([]);
    expect(second).toEqual([]);
    // The core's first, then the pack's, each recorded under its scope.
    const { rows } = await store.db.query<{ scope: string; version: number }>(
      "SELECT scope, version FROM warden_migrations ORDER BY scope <> 'warden', scope, version",
    );
    expect(rows).toEqual(migrations.map(({ scope, version }) => ({ scope, version })));
    expect(new Set(rows.map((row) => row.scope))).toEqual(new Set(["warden", "support"]));
  });

  it("gives every Warden table a tenant_id column that leads its primary key", async () => {
    const { rows } = await store.db.query<{ table_name: string; first_key: string | null }>(
      `SELECT t.table_name,
              (SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
               WHERE i.indrelid = (quote_ident(t.table_schema) || '.' || quote_ident(t.table_name))::regclass AND i.indisprimary) AS first_key
       FROM information_schema.tables t
       WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
         AND t.table_name NOT LIKE 'checkpoint%' AND t.table_name <> 'warden_migrations'
         -- eval_runs is global by design: an eval judges a release's content, which is the same for every tenant
         -- (the promotion gate of every tenant reads it); it holds no tenant's data.
         AND t.table_name <> 'eval_runs'`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(7);
    for (const row of rows) expect(row.first_key, row.table_name).toBe("tenant_id");
  });

  it("seeds the two tenants and acme's orders with dates relative to now, and only into an empty database", async () => {
    const { rows } = await store.db.query<{ tenant_id: string; order_id: string; total_cents: number; age: number }>(
      "SELECT tenant_id, order_id, total_cents, floor(extract(epoch FROM now() - delivered_at) / 86400)::int AS age FROM orders WHERE order_id IN ('A-1001','A-1002','A-1003','G-2001') ORDER BY order_id",
    );
    expect(rows).toEqual([
      { tenant_id: "acme", order_id: "A-1001", total_cents: 4200, age: 5 },
      { tenant_id: "acme", order_id: "A-1002", total_cents: 12000, age: 45 },
      { tenant_id: "acme", order_id: "A-1003", total_cents: 90000, age: 3 },
      { tenant_id: "globex", order_id: "G-2001", total_cents: 4200, age: 5 },
    ]);
    expect(await seedIfEmpty(store.db, [supportPack])).toBe(false);
  });

  it("lets the payment provider table refuse a second refund with the same idempotency key", async () => {
    const insert = () =>
      store.db.query(
        "INSERT INTO refunds (tenant_id, refund_id, order_id, amount_cents, idempotency_key) VALUES ('acme', $1, 'A-1001', 100, 'same-key')",
        [`re_${Math.random()}`],
      );
    await insert();
    await expect(insert()).rejects.toThrow(/duplicate key|unique/i);
    await store.db.query("DELETE FROM refunds WHERE tenant_id = 'acme' AND idempotency_key = 'same-key'");
  });

  it("rolls a failed transaction back", async () => {
    await expect(
      store.db.transaction(async (tx) => {
        await tx.query("INSERT INTO tenants (tenant_id, name) VALUES ('rollback-co', 'Rollback Co')");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const { rows } = await store.db.query("SELECT 1 FROM tenants WHERE tenant_id = 'rollback-co'");
    expect(rows).toEqual([]);
  });
});
