import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { expect, it } from "vitest";
import { createRuntime } from "../../src/runtime/create-runtime.js";

it("a run in flight when its single PGlite process is killed -9 is resumed from its checkpoint at the next start", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-pglite-crash-"));
  try {
    const child = spawn(process.execPath, ["--import", "tsx", join(process.cwd(), "test/helpers/pglite-crash-child.ts"), dir], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`the child exited (${code}) before its run was in flight`)));
    });
    const runId = (JSON.parse(line) as { run_id: string }).run_id;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    child.kill("SIGKILL");
    await exited;

    // The next process on the directory: it takes over the dead process's lock and its runs' leases.
    const runtime = await createRuntime({ env: { WARDEN_DATA_DIR: dir } });
    try {
      const done = await runtime.wait("acme", runId, 60_000);
      expect(done.status).toBe("completed");
      expect(done.attempts).toBe(2);
      const kinds = (await runtime.getTrace("acme", runId)).map((event) => event.kind);
      expect(kinds.filter((kind) => kind === "run.started")).toHaveLength(1);
      expect(kinds).toContain("run.finished");
    } finally {
      await runtime.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
