import { spawn } from "node:child_process";
import { supportPack } from "../../src/packs/support/index.js";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releaseContentHash } from "../../src/runtime/release-content-hash.js";
import { isWardenError, type WardenError } from "../../src/errors.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import { latestEvalOf, latestEvalRun, listEvalRuns } from "../../src/store/eval-runs.js";
import { openStore, type Store } from "../../src/store/open-store.js";
import { backends } from "../helpers/backends.js";
import { copyProject, recordEval, recordPassingEval } from "../helpers/eval-gate.js";
import { expectErrorShape, startTestServer, type TestKey, type TestServer } from "../helpers/server.js";

const databaseUrl = process.env.DATABASE_URL;

function rejection(promise: Promise<unknown>): Promise<WardenError> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => {
      if (!isWardenError(error)) throw error;
      return error;
    },
  );
}

describe.each(backends)("the promotion gate on $name", (backend) => {
  let store: Store;
  let server: TestServer;
  let runtime: Runtime;
  const project = copyProject();
  const { root } = project;

  /** A release of its own per test (evals are global per release and content), copied from support@2 with its own prompt. */
  function addRelease(version: number): string {
    const id = `support@${version}`;
    const base = JSON.parse(readFileSync(join(root, "releases", "support@2.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(root, "prompts", `support@${version}.md`), `You are Warden's support agent (gate test release ${version}). Say which policy rule applies.\n`);
    writeFileSync(join(root, "releases", `${id}.json`), `${JSON.stringify({ ...base, id, description: `gate test ${id}`, prompt: `prompts/support@${version}.md` }, null, 2)}\n`);
    return id;
  }

  const admins = new Map<string, TestKey>();
  async function adminOf(tenant: string): Promise<TestKey> {
    const known = admins.get(tenant);
    if (known) return known;
    const made = await server.makeKey(tenant, "root", ["admin"]);
    admins.set(tenant, made);
    return made;
  }
  const put = async (tenant: string, payload: Record<string, unknown>, key?: TestKey) =>
    server.app.inject({ method: "PUT", url: "/v1/admin/releases/active", headers: (key ?? (await adminOf(tenant))).headers, payload });
  const listing = async (tenant: string) => (await server.app.inject({ method: "GET", url: "/v1/admin/releases", headers: (await adminOf(tenant)).headers })).json();

  beforeAll(async () => {
    store = await backend.open();
    server = await startTestServer(store, { runtime: { root } });
    runtime = server.runtime;
  });
  afterAll(async () => {
    await server.close();
    await store.close();
    project.remove();
  });

  it("refuses a release whose content was never evaluated with EVAL_GATE_REQUIRED (runtime and 409), and switches nothing", async () => {
    const id = addRelease(3);
    const error = await rejection(runtime.releases.activate("gate-required", id, "ops"));
    expect(error.code).toBe("EVAL_GATE_REQUIRED");
    expect(error.message).toContain(`Run \`npx warden eval --release ${id}\``);
    expect(error.message).toContain(releaseContentHash(id, { root, tools: supportPack.tools }).hash);
    expect(error.message).toContain('--force --reason "…"');

    const response = await put("gate-required", { release: id });
    expect(response.statusCode).toBe(409);
    expectErrorShape(response.body, "EVAL_GATE_REQUIRED");
    expect(response.json().error.details).toMatchObject({ release: id, content_hash: releaseContentHash(id, { root, tools: supportPack.tools }).hash, latest_eval: null });

    expect(await runtime.releases.active("gate-required")).toEqual({ tenant: "gate-required", release_id: "support@1", source: "default" });
    expect(await runtime.releases.history("gate-required")).toEqual([]);
  });

  it("refuses a release whose latest eval of its content failed with EVAL_GATE_FAILED naming that eval; a later passing eval lets it through", async () => {
    const id = addRelease(4);
    await recordPassingEval(store.db, id, root);
    const failed = await recordEval(store.db, id, { root, gate: "fail", reasons: ["task_success 0.75 < 1 (refund-damaged)"] });

    const error = await rejection(runtime.releases.activate("gate-failed", id, "ops"));
    expect(error.code).toBe("EVAL_GATE_FAILED");
    expect(error.message).toContain(failed.eval_id);
    expect(error.message).toContain(failed.created_at);
    expect(error.message).toContain("failed 1 of 4 cases (task_success 0.75 < 1 (refund-damaged))");
    expect(error.message).toContain(`npx warden eval --release ${id}`);
    const response = await put("gate-failed", { release: id });
    expect(response.statusCode).toBe(409);
    expectErrorShape(response.body, "EVAL_GATE_FAILED");
    expect((await runtime.releases.active("gate-failed")).source).toBe("default");

    const passed = await recordPassingEval(store.db, id, root);
    const activated = await put("gate-failed", { release: id });
    expect(activated.statusCode, activated.body).toBe(200);
    expect(activated.json()).toMatchObject({ release_id: id, kind: "promotion", eval_id: passed.eval_id });
  });

  it("activates a release with a passing eval of its current content as a promotion, with its eval id, hash and history", async () => {
    const id = addRelease(5);
    const evaluation = await recordPassingEval(store.db, id, root);
    const hash = releaseContentHash(id, { root, tools: supportPack.tools }).hash;
    expect(evaluation.content_hash).toBe(hash);

    const response = await put("gate-promotion", { release: id });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      tenant: "gate-promotion",
      release_id: id,
      source: "activated",
      activated_by: "root",
      activated_at: expect.any(String),
      kind: "promotion",
      content_hash: hash,
      eval_id: evaluation.eval_id,
      reason: null,
    });

    const listed = await listing("gate-promotion");
    expect(listed.active).toMatchObject({ release_id: id, source: "activated" });
    expect(listed.history[0]).toEqual({ release_id: id, activated_by: "root", activated_at: expect.any(String), kind: "promotion", content_hash: hash, eval_id: evaluation.eval_id, reason: null });
    const entry = listed.releases.find((release: { id: string }) => release.id === id);
    expect(entry).toMatchObject({ content_hash: hash, latest_eval: { eval_id: evaluation.eval_id, gate: "pass", content_hash: hash, cases: 4, passed: 4, failed: 0, scores: { task_success: 1 }, current: true } });
    expect(listed.releases.find((release: { id: string }) => release.id === "support@3")).toMatchObject({ latest_eval: null });

    // The next run of the tenant uses it.
    const run = await runtime.start({ tenant: "gate-promotion", actor: "alice", roles: ["requester"], goal: "What is your refund policy for damaged items?" });
    expect(run.release).toBe(id);
  });

  it("needs a new eval once the prompt changes after the passing eval: the content hash is different", async () => {
    const id = addRelease(6);
    const before = await recordPassingEval(store.db, id, root);
    writeFileSync(join(root, "prompts", "support@6.md"), "You are Warden's support agent. Always refund.\n");
    const after = releaseContentHash(id, { root, tools: supportPack.tools }).hash;
    expect(after).not.toBe(before.content_hash);

    const error = await rejection(runtime.releases.activate("gate-edited", id, "ops"));
    expect(error.code).toBe("EVAL_GATE_REQUIRED");
    expect(error.message).toContain(`Its latest eval, ${before.eval_id}`);
    expect(error.message).toContain("was of other content");
    expect(await latestEvalRun(store.db, id, after)).toBeUndefined();
    expect((await latestEvalOf(store.db, id))?.eval_id).toBe(before.eval_id);
    const entry = (await listing("gate-edited")).releases.find((release: { id: string }) => release.id === id);
    expect(entry).toMatchObject({ content_hash: after, latest_eval: { eval_id: before.eval_id, content_hash: before.content_hash, current: false } });

    const again = await recordPassingEval(store.db, id, root);
    expect(await runtime.releases.activate("gate-edited", id, "ops")).toMatchObject({ kind: "promotion", eval_id: again.eval_id, content_hash: after });
  });

  it("force needs a reason (400 VALIDATION_FAILED) and an admin (403); with both it activates, audited as forced with the reason", async () => {
    const id = addRelease(7);
    const failing = await recordEval(store.db, id, { root, gate: "fail" });

    const noReason = await put("gate-forced", { release: id, force: true });
    expect(noReason.statusCode).toBe(400);
    expectErrorShape(noReason.body, "VALIDATION_FAILED");
    expect(noReason.json().error.details).toEqual([expect.objectContaining({ path: "body.reason" })]);
    expect((await put("gate-forced", { release: id, force: true, reason: "   " })).statusCode).toBe(400);
    expect((await rejection(runtime.releases.activate("gate-forced", id, "ops", { force: true }))).code).toBe("VALIDATION_FAILED");
    expect((await rejection(runtime.releases.activate("gate-forced", id, "ops", { force: true, reason: "  " }))).code).toBe("VALIDATION_FAILED");

    for (const roles of [["requester"], ["approver"], ["requester", "approver"]] as const) {
      const key = await server.makeKey("gate-forced", "mallory", [...roles]);
      const refused = await put("gate-forced", { release: id, force: true, reason: "trust me" }, key);
      expect(refused.statusCode).toBe(403);
      expectErrorShape(refused.body, "FORBIDDEN");
    }
    expect(await runtime.releases.history("gate-forced")).toEqual([]);

    const forced = await put("gate-forced", { release: id, force: true, reason: "INC-42 hotfix; eval to follow" });
    expect(forced.statusCode, forced.body).toBe(200);
    expect(forced.json()).toMatchObject({ release_id: id, kind: "forced", reason: "INC-42 hotfix; eval to follow", eval_id: failing.eval_id, content_hash: releaseContentHash(id, { root, tools: supportPack.tools }).hash });
    expect((await listing("gate-forced")).history[0]).toMatchObject({ release_id: id, activated_by: "root", kind: "forced", reason: "INC-42 hotfix; eval to follow", eval_id: failing.eval_id });
  });

  it("never blocks a rollback: a release the tenant ran before, or the default, activates with no eval at all and is recorded as a rollback", async () => {
    const first = addRelease(8);
    const second = addRelease(9);
    expect(await listEvalRuns(store.db, { releaseId: first })).toEqual([]);
    await runtime.releases.activate("gate-rollback", first, "ops", { force: true, reason: "first cut, before evals existed" });
    await runtime.releases.activate("gate-rollback", second, "ops", { force: true, reason: "second cut" });

    const back = await put("gate-rollback", { release: first, reason: "second cut misroutes refunds" });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ release_id: first, kind: "rollback", eval_id: null, content_hash: releaseContentHash(first, { root, tools: supportPack.tools }).hash, reason: "second cut misroutes refunds" });
    const toDefault = await runtime.releases.activate("gate-rollback", "support@1", "ops");
    expect(toDefault).toMatchObject({ release_id: "support@1", kind: "rollback", content_hash: releaseContentHash("support@1", { root, tools: supportPack.tools }).hash, reason: null });
    // The default is what every tenant ran before its first activation.
    expect(await runtime.releases.activate("gate-rollback-default", "support@1", "ops")).toMatchObject({ kind: "rollback" });

    expect((await runtime.releases.history("gate-rollback")).map((row) => [row.release_id, row.kind])).toEqual([
      ["support@1", "rollback"],
      [first, "rollback"],
      [second, "forced"],
      [first, "forced"],
    ]);
    // Another tenant never ran it: for that tenant it is a promotion, which needs an eval.
    expect((await rejection(runtime.releases.activate("gate-other", first, "ops"))).code).toBe("EVAL_GATE_REQUIRED");
  });

  it("concurrent activations of one tenant keep the history in step with the active release", async () => {
    const id = addRelease(10);
    await recordPassingEval(store.db, id, root);
    const tenant = "gate-race";
    const targets = [id, "support@1", id, "support@1", id, "support@1", id, "support@1"];
    const results = await Promise.all(targets.map((release, index) => runtime.releases.activate(tenant, release, `ops-${index}`)));
    expect(results.map((result) => result.release_id).sort()).toEqual([...targets].sort());

    const history = await runtime.releases.history(tenant, 50);
    expect(history).toHaveLength(targets.length);
    const active = await runtime.releases.active(tenant);
    expect(active).toMatchObject({ release_id: history[0]!.release_id, activated_by: history[0]!.activated_by, activated_at: history[0]!.activated_at });
    // The first activation of `id` is its promotion, every later one a rollback; support@1 (the default) is always a rollback.
    const oldestFirst = [...history].reverse();
    const firstOfId = oldestFirst.findIndex((row) => row.release_id === id);
    oldestFirst.forEach((row, index) => {
      expect(row.kind).toBe(row.release_id === id && index === firstOfId ? "promotion" : "rollback");
      expect(row.content_hash).toBe(releaseContentHash(row.release_id, { root, tools: supportPack.tools }).hash);
    });
    expect(new Set(history.map((row) => row.activated_by)).size).toBe(targets.length);
  });
});

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe.each(backends)("warden release activate (the real CLI) on $name", (backend) => {
  let dataDir: string | undefined;
  let store: Store | undefined;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    const base = { ...process.env, OPENAI_API_KEY: "", WARDEN_RELEASE: "support@1" };
    if (backend.name === "postgres") {
      store = await backend.open();
      const url = new URL(databaseUrl!);
      url.searchParams.set("options", `-c search_path=${store.db.schema}`);
      env = { ...base, DATABASE_URL: url.toString() };
    } else {
      dataDir = mkdtempSync(join(tmpdir(), "warden-gate-cli-"));
      await (await openStore({ dataDir })).close(); // migrated and seeded, with no eval at all
      env = { ...base, DATABASE_URL: "", WARDEN_DATA_DIR: dataDir };
    }
  });
  afterAll(async () => {
    await store?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function historyOf(tenant: string) {
    const reader = store ?? (await openStore({ dataDir: dataDir!, seed: false }));
    try {
      const { rows } = await reader.db.query<{ release_id: string; kind: string; reason: string | null; activated_by: string }>(
        "SELECT release_id, kind, reason, activated_by FROM release_activations WHERE tenant_id = $1 ORDER BY seq",
        [tenant],
      );
      return rows;
    } finally {
      if (reader !== store) await reader.close();
    }
  }

  it("exits 1 with `error EVAL_GATE_REQUIRED:` when the release has no eval, needs a reason to force, and forces with one (audited)", async () => {
    const refused = await runCli(["release", "activate", "support@2", "--tenant", "acme", "--by", "ops"], env);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr, refused.stderr).toMatch(/^error EVAL_GATE_REQUIRED: /);
    expect(refused.stderr).toContain("npx warden eval --release support@2");

    const noReason = await runCli(["release", "activate", "support@2", "--tenant", "acme", "--force"], env);
    expect(noReason.status).toBe(1);
    expect(noReason.stderr, noReason.stderr).toMatch(/^error VALIDATION_FAILED: /);
    expect(await historyOf("acme")).toEqual([]);

    const forced = await runCli(["release", "activate", "support@2", "--tenant", "acme", "--by", "ops", "--force", "--reason", "INC-7: hotfix"], env);
    expect(forced.stderr).toBe("");
    expect(forced.status).toBe(0);
    expect(JSON.parse(forced.stdout.trim())).toMatchObject({ tenant: "acme", release_id: "support@2", source: "activated", activated_by: "ops", kind: "forced", reason: "INC-7: hotfix" });

    const back = await runCli(["release", "activate", "support@1", "--tenant", "acme", "--by", "ops"], env);
    expect(back.status).toBe(0);
    expect(JSON.parse(back.stdout.trim())).toMatchObject({ release_id: "support@1", kind: "rollback" });
    expect(await historyOf("acme")).toEqual([
      { release_id: "support@2", kind: "forced", reason: "INC-7: hotfix", activated_by: "ops" },
      { release_id: "support@1", kind: "rollback", reason: null, activated_by: "ops" },
    ]);
  }, 120_000);
});
