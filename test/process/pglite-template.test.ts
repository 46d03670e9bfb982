import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createPgliteDb } from "../../src/store/pglite-db.js";
import { CACHE_FILE } from "../../src/store/pglite-template.js";

/**
 * Fresh PGlite clusters start from a dumped empty cluster instead of running initdb each time. What a user relies
 * on: every fresh database is empty and usable, an existing data directory is opened as it is (never replaced by
 * the template), and a broken cached template costs only time, never an open.
 */
describe("fresh PGlite clusters from the template", () => {
  it("gives every fresh in-memory database its own empty cluster", async () => {
    const first = await createPgliteDb({ dataDir: "memory://" });
    await first.exec("CREATE TABLE only_here (a int); INSERT INTO only_here VALUES (1)");
    const second = await createPgliteDb({ dataDir: "memory://" });
    const { rows } = await second.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_here'");
    expect(rows[0]!.n).toBe(0);
    await Promise.all([first.close(), second.close()]);
  });

  it("keeps an existing data directory's data, and survives a corrupt cached template", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-template-"));
    try {
      const db = await createPgliteDb({ dataDir: dir });
      await db.exec("CREATE TABLE kept (a int); INSERT INTO kept VALUES (7)");
      await db.close();
      const reopened = await createPgliteDb({ dataDir: dir });
      expect((await reopened.query<{ a: number }>("SELECT a FROM kept")).rows).toEqual([{ a: 7 }]);
      await reopened.close();

      // A cached file that is not a cluster: the open falls back to initdb (in a fresh process the module reads it).
      writeFileSync(CACHE_FILE, "not a tarball");
      const script = `import { createPgliteDb } from "./src/store/pglite-db.ts"; const d = await createPgliteDb({ dataDir: "memory://" }); const r = await d.query("SELECT 1 AS one"); console.log(JSON.stringify(r.rows)); await d.close();`;
      const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", cwd: process.cwd() });
      expect(child.stdout.trim()).toBe('[{"one":1}]');
      // The corrupt file is dropped (another process may since have written a good one: a whole cluster, megabytes).
      expect(existsSync(CACHE_FILE) ? statSync(CACHE_FILE).size : 0).not.toBe("not a tarball".length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
