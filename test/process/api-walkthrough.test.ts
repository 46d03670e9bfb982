import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { markedShellBlocks, runBash } from "../helpers/doc-shell.js";
import { freePort } from "../helpers/processes.js";

/**
 * docs/api.md's curl walk-through, pasted into bash as a reader would: its own keys, its own `npx warden serve`
 * (on a free port), a fresh database (the PGlite directory the walk-through makes under $TMPDIR, or a Postgres
 * database this test creates and drops when DATABASE_URL is set). Asserts what a reader relies on, never timings.
 *
 * Contract with the page: the blocks leave the first answer in $RUN, the approval's answer in $DONE, and the
 * run's id in $RUN_ID; the walk-through's working directory is $DIR.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DOC = join(ROOT, "docs/api.md");
const baseUrl = process.env.DATABASE_URL;

interface Refund {
  order_id: string;
  amount_cents: number;
}

describe(`the curl walk-through in docs/api.md (${baseUrl ? "Postgres" : "PGlite"})`, () => {
  const out = mkdtempSync(join(tmpdir(), "warden-walkthrough-"));
  const database = `walkthrough_${randomBytes(5).toString("hex")}`;
  let createdDatabase = false;
  let walkthroughDir = "";

  async function admin<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  }

  function databaseUrl(): string {
    const url = new URL(baseUrl!);
    url.pathname = `/${database}`;
    return url.toString();
  }

  afterAll(async () => {
    if (createdDatabase) await admin((client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
    rmSync(out, { recursive: true, force: true });
    if (walkthroughDir.startsWith(tmpdir())) rmSync(walkthroughDir, { recursive: true, force: true });
  });

  /** The refunds the walk-through left in its database (read after its server stopped). */
  async function refunds(): Promise<Refund[]> {
    const sql = "SELECT order_id, amount_cents FROM refunds WHERE tenant_id = 'acme' ORDER BY order_id";
    if (baseUrl) {
      const client = new pg.Client({ connectionString: databaseUrl() });
      await client.connect();
      try {
        return (await client.query<Refund>(sql)).rows;
      } finally {
        await client.end();
      }
    }
    const db = new PGlite(join(walkthroughDir, "pgdata"));
    try {
      return (await db.query<Refund>(sql)).rows;
    } finally {
      await db.close();
    }
  }

  it("runs top to bottom: the run waits for an approval, bob's approval completes it, and it refunds once", async () => {
    const blocks = markedShellBlocks(readFileSync(DOC, "utf8"), "walkthrough");
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    // Pasted as is means no placeholder a reader would have to fill in (expected output in comments may elide).
    const commands = blocks.join("\n").split("\n").filter((line) => !/^\s*#/.test(line));
    expect(commands.filter((line) => line.includes("…"))).toEqual([]);

    if (baseUrl) {
      await admin((client) => client.query(`CREATE DATABASE "${database}"`));
      createdDatabase = true;
    }
    const script = [
      "set -euo pipefail",
      // However the script ends: record where its data is (to read and clean up), and stop a server it left
      // running after a failed step (graceful, so it releases the data directory; the group is killed if not).
      `trap 'printf "%s" "\${DIR:-}" > "$WALKTHROUGH_OUT/dir"; if [ -n "\${SERVER:-}" ]; then kill "$SERVER" 2> /dev/null || true; fi' EXIT`,
      ...blocks,
      `for name in RUN RUN_ID DONE; do printf '%s' "\${!name}" > "$WALKTHROUGH_OUT/$name"; done`,
    ].join("\n");
    const port = await freePort();
    const result = await runBash(script, {
      cwd: ROOT,
      env: {
        ...process.env,
        WALKTHROUGH_OUT: out,
        PORT: String(port),
        DATABASE_URL: baseUrl ? databaseUrl() : "",
        // What a reader's shell would not have, or what would change the scenario: a real model, tracing, a
        // cluster, a tight rate limit, someone else's data directory.
        OPENAI_API_KEY: "",
        LANGSMITH_TRACING: "",
        OTEL_EXPORTER_OTLP_ENDPOINT: "",
        WARDEN_WORKERS: "",
        WARDEN_RATE_LIMIT_MAX: "",
        WARDEN_DATA_DIR: "",
        // A loaded machine may take longer than the default 120 s for a synchronous answer; a 202 would not be
        // the walk-through's fault.
        WARDEN_RUN_WAIT_MS: "600000",
      },
      timeoutMs: 400_000,
      leftoverGraceMs: 90_000,
    });
    walkthroughDir = readFileSync(join(out, "dir"), "utf8");
    const log = () => {
      let serveLog = "";
      try {
        serveLog = readFileSync(join(walkthroughDir, "serve.log"), "utf8");
      } catch {
        // No server log: the script ended before it started the server.
      }
      return `exit ${result.code} ${result.signal ?? ""}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}\n--- serve.log\n${serveLog}`;
    };
    expect(result.code, log()).toBe(0);
    const read = (name: string) => readFileSync(join(out, name), "utf8");

    // 1. The run stops at the approval of the refund, and a retry with the same Idempotency-Key is a replay.
    const run = JSON.parse(read("RUN"));
    expect(run.status, log()).toBe("waiting_approval");
    expect(run.pending_approvals).toEqual([expect.objectContaining({ tool: "issue_refund", args: expect.objectContaining({ order_id: "A-1001", amount: 42 }) })]);
    expect(read("RUN_ID")).toBe(run.run_id);
    expect(result.stdout).toMatch(/^idempotent-replayed: true\r?$/m);
    // 2. Alice may not approve; bob's approval (bound to the arguments' hash) completes the run with one refund.
    expect(result.stdout).toMatch(/^403$/m);
    const done = JSON.parse(read("DONE"));
    expect(done).toMatchObject({ run_id: run.run_id, status: "completed" });
    expect(done.effects).toEqual([expect.objectContaining({ tool: "issue_refund", status: "completed" })]);
    // 4. Both event streams ended with the run.
    expect(result.stdout.match(/^event: run$/gm), log()).toHaveLength(2);
    // 5. `kill $SERVER` stopped the server gracefully, by itself.
    expect(result.killedLeftovers, log()).toBe(false);
    expect(readFileSync(join(walkthroughDir, "serve.log"), "utf8")).toMatch(/"msg":"stopped"/);
    expect(await refunds()).toEqual([{ order_id: "A-1001", amount_cents: 4200 }]);
  }, 600_000);
});
