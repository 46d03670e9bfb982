import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * The examples the README and docs/api.md quote (test/unit/docs.test.ts checks the quotes are these files), run as a
 * reader runs them: `node --import tsx <file>` at the repository's root, offline, on an in-memory PGlite.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);

// Each is a fresh process (tsx, the runtime's imports, PGlite's initdb): tens of seconds on a loaded 2-core machine.
describe("the examples run as pasted", { timeout: 240_000 }, () => {
  const env = { ...process.env, DATABASE_URL: "", OPENAI_API_KEY: "", WARDEN_DATA_DIR: "memory://" };

  it("README.md's example (docs/examples/quickstart/quickstart.ts) prints the run's status, answer and trace kinds", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "docs/examples/quickstart/quickstart.ts"], { cwd: ROOT, env, timeout: 230_000 });
    const [status, kindsLine] = stdout.trim().split("\n");
    expect(status).toBe("completed | We have 3 blue mugs in stock.");
    expect(kindsLine!.split(" ").slice(0, 5)).toEqual(["run.started", "route.decided", "model.call", "policy.decision", "tool.call"]);
    expect(kindsLine).toContain("run.finished eval.result");
  });

  it("docs/api.md's from-code example (docs/examples/from-code/refund.ts) waits for bob's approval, then refunds once", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "docs/examples/from-code/refund.ts"], { cwd: ROOT, env, timeout: 230_000 });
    expect(stdout.trim()).toBe("waiting_approval completed issue_refund completed");
  });
});
