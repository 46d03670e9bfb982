import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listEvalRuns } from "../../src/store/eval-runs.js";
import { openStore } from "../../src/store/open-store.js";
import { createEvalRoot } from "../helpers/eval-root.js";
import { startLangSmithStub } from "../helpers/langsmith-stub.js";

const CASES = [
  {
    id: "refund-approved",
    tags: ["workflow"],
    input: { tenant: "acme", actor: "alice", roles: ["requester"], goal: "Refund order A-1001, the mug arrived chipped." },
    script: [{ do: "approve", by: "bob" }],
    expect: { route: "refund_workflow", status: "completed", effects: { issue_refund: 1 }, trace_kinds: ["approval.requested", "approval.resolved"] },
  },
  {
    id: "own-approval",
    tags: ["four-eyes"],
    input: { tenant: "acme", actor: "alice", roles: ["requester", "approver"], goal: "Refund order A-1001, the mug arrived chipped." },
    script: [{ do: "approve", by: "alice", roles: ["approver"] }],
    expect: { route: "refund_workflow", status: "waiting_approval", effects: { issue_refund: 0 }, decision_errors: ["APPROVAL_FORBIDDEN"] },
  },
];

const root = createEvalRoot();
const dataDir = join(root.root, "pgdata");
afterAll(() => root.remove());

root.write("evals/datasets/cli@1.jsonl", `${CASES.map((line) => JSON.stringify(line)).join("\n")}\n`);
const base = root.json("releases/support@1.json");
root.write("releases/support@1.json", JSON.stringify({ ...base, eval: { dataset: "cli@1" } }));
root.write("releases/support@8.json", JSON.stringify({ ...base, id: "support@8", replaces: "support@1", eval: { dataset: "cli@1" } }));
const policy = root.json("policies/refunds@1.json");
root.write("policies/refunds@7.json", JSON.stringify({ ...policy, version: 7, rules: policy.rules.filter((rule: { id: string }) => !["refund-requires-approval", "side-effect-needs-approval"].includes(rule.id)) }));
root.write("releases/support@7.json", JSON.stringify({ ...base, id: "support@7", policy: "policies/refunds@7.json", replaces: "support@1", eval: { dataset: "cli@1" } }));

/** The real CLI in a child process, on an embedded store of its own (no DATABASE_URL). */
function warden(args: string[], extraEnv: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, DATABASE_URL: "", WARDEN_DATA_DIR: dataDir, OPENAI_API_KEY: "", LANGSMITH_TRACING: "", ...extraEnv };
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);

describe("npx warden eval", () => {
  it("exits 0 when the gate passes, prints the summary as the last JSON line, writes both reports and records the verdict", { timeout: 180_000 }, async () => {
    const out = join(root.root, "out-pass");
    // LangSmith tracing switched on in the shell: without --langsmith the eval must still send nothing anywhere.
    const langsmith = await startLangSmithStub();
    const result = await warden(["eval", "--release", "support@8", "--root", root.root, "--json", "--out", out, "--concurrency", "1"], {
      LANGSMITH_TRACING: "true",
      LANGSMITH_ENDPOINT: langsmith.url,
      LANGSMITH_API_KEY: "ls-test-key",
    });
    await langsmith.close();
    expect(langsmith.requests.map((request) => `${request.method} ${request.path}`)).toEqual([]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.status).toBe(0);
    const summary = lastJson(result.stdout);
    expect(Object.keys(summary).sort()).toEqual(["baseline", "cases", "content_hash", "dataset", "failed", "gate", "passed", "reasons", "regressions", "release", "report", "scores"]);
    expect(summary).toMatchObject({ release: "support@8", baseline: "support@1", dataset: "cli@1", cases: 2, passed: 2, failed: 0, gate: "pass", regressions: [], reasons: [] });
    expect(summary.scores.outcome).toBe(1);
    expect(summary.report).toBe(join(out, "report.md"));
    const markdown = readFileSync(join(out, "report.md"), "utf8");
    expect(markdown).toContain("| case | support@1 | support@8 | regressions | why |");
    expect(JSON.parse(readFileSync(join(out, "report.json"), "utf8")).verdict.gate).toBe("pass");

    const store = await openStore({ dataDir, seed: false });
    try {
      const [row] = await listEvalRuns(store.db, { releaseId: "support@8" });
      expect(row).toMatchObject({ release_id: "support@8", content_hash: summary.content_hash, baseline_id: "support@1", dataset: "cli@1", gate: "pass", cases: 2, passed: 2 });
    } finally {
      await store.close();
    }
  });

  it("exits 1 when the gate fails, naming the case and the evaluator", { timeout: 180_000 }, async () => {
    const result = await warden(["eval", "--release", "support@7", "--root", root.root, "--json", "--out", join(root.root, "out-fail"), "--concurrency", "1"]);
    expect(result.status).toBe(1);
    const summary = lastJson(result.stdout);
    expect(summary.gate).toBe("fail");
    expect(summary.reasons).toContainEqual(expect.stringMatching(/^case refund-approved: passed on baseline support@1, fails on support@7/));
    expect(summary.regressions.length).toBeGreaterThan(0);
  });

  it("exits 2 on a usage or configuration error, with the code and no report", { timeout: 120_000 }, async () => {
    const missing = await warden(["eval", "--json"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^error VALIDATION_FAILED: --release is required/);
    const unknownFlag = await warden(["eval", "--release", "support@8", "--bogus"]);
    expect(unknownFlag.status).toBe(2);
    const unknownRelease = await warden(["eval", "--release", "support@99", "--root", root.root, "--out", join(root.root, "out-none")]);
    expect(unknownRelease.status).toBe(2);
    expect(unknownRelease.stderr).toMatch(/^error RELEASE_NOT_FOUND:/);
    expect(existsSync(join(root.root, "out-none"))).toBe(false);
  });
});
