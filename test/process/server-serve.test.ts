import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { aiText, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import { openStore } from "../../src/store/open-store.js";
import { onBackends } from "../helpers/fixtures.js";
import { countRows as count, expectErrorShape, startTestServer } from "../helpers/server.js";

/** Stopping and restarting: graceful close on a real socket, and `warden serve` / `warden keys` as child processes. */
const suites = onBackends();

describe.each(suites)("closing the app on $name", ({ it }) => {
  it("lets a running request finish on close, closes its connection, and runs nothing queued behind it", async ({ store }) => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const model = new ScriptedChatModel([
      async () => {
        await gate;
        return aiText("Order A-1001 was delivered 5 days ago.");
      },
      aiText("Order A-1001 was delivered 5 days ago."),
    ]);
    const slow = await startTestServer(store, { model });
    await slow.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = slow.app.server.address() as AddressInfo;
    const body = JSON.stringify({ goal: "Where is my order A-1001?" });
    // Two pipelined requests on one connection: the second reaches the server only after the first answered.
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString()));
    const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.write(
      `POST /v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${slow.keys.requester.key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` +
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    try {
      for (let attempt = 0; attempt < 200 && model.calls.length === 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
      const closed = slow.app.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      release();
      await closed;
      await ended;
      const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
      expect(first).toMatch(/^HTTP\/1\.1 200 /);
      expect(first).toMatch(/connection: close/i);
      expect(first).toContain(`"run_id":`);
      // The queued request never runs: the connection closes after the answer in flight, or it gets a 503.
      if (second !== undefined) {
        expect(second).toMatch(/^HTTP\/1\.1 503 /);
        expectErrorShape(second.slice(second.indexOf("\r\n\r\n") + 4), "STORE_UNAVAILABLE");
      }
    } finally {
      release();
      socket.destroy();
      await slow.close();
    }
  });
});

describe("warden serve and keys CLI (child processes on a PGlite data dir)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "warden-serve-"));
  const env = { ...process.env, WARDEN_DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", DATABASE_URL: "", OPENAI_API_KEY: "", WARDEN_RATE_LIMIT_MAX: "" };
  const children: ChildProcess[] = [];
  let first: ServeProcess;
  let keyOf: { admin: string; alice: string; bob: string };
  let waitingRun: { run_id: string; pending_approvals: Array<{ approval_id: string }> };

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  }

  interface ServeProcess {
    child: ChildProcess;
    url: string;
    output(): string;
    waitFor(pattern: RegExp): Promise<void>;
    exited: Promise<number | null>;
  }

  /** `viaLauncher`: through `bin/warden.js` (what `npx warden serve` runs), which must pass SIGTERM on. */
  async function serve(viaLauncher = false): Promise<ServeProcess> {
    const args = viaLauncher ? ["bin/warden.js", "serve"] : ["--import", "tsx", "src/cli/main.ts", "serve"];
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let output = "";
    const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(output)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const waitFor = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(output)) return resolve();
        waiters.push({ pattern, resolve });
        void exited.then(() => reject(new Error(`serve exited before ${pattern}:\n${output}`)));
      });
    await waitFor(/"msg":"warden listening"/);
    const url = /"url":"(http:\/\/[^"]+)","database":"pglite","msg":"warden listening"/.exec(output)![1]!;
    return { child, url, output: () => output, waitFor, exited };
  }

  async function call(base: string, key: string, method: string, path: string, body?: unknown) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  it("prints an admin key on the first start, and the keys CLI refuses the data dir while the server holds it", async () => {
    first = await serve();
    const admin = /It is shown only this once; store it now:\s+(wdn_\S+)/.exec(first.output())?.[1];
    expect(admin).toMatch(/^wdn_/);
    const locked = await cli(["keys", "create", "--tenant", "acme", "--actor", "zed", "--roles", "requester"]);
    expect(locked.code).toBe(1);
    expect(locked.stdout).toBe("");
    expect(locked.stderr).toMatch(/STORE_LOCKED.*POST \/v1\/admin\/keys/);
    const alice = await call(first.url, admin!, "POST", "/v1/admin/keys", { actor: "alice", roles: ["requester"] });
    const bob = await call(first.url, admin!, "POST", "/v1/admin/keys", { actor: "bob", roles: ["approver"] });
    expect([alice.status, bob.status]).toEqual([201, 201]);
    keyOf = { admin: admin!, alice: alice.body.key, bob: bob.body.key };
  }, 120_000);

  it("on SIGTERM answers the request in flight (the run, or the run handed back in progress), then exits 0", async () => {
    const inFlight = call(first.url, keyOf.alice, "POST", "/v1/runs", { goal: "Refund order A-1001, it arrived broken." });
    await first.waitFor(/"url":"\/v1\/runs"[^\n]*"msg":"incoming request"/);
    first.child.kill("SIGTERM");
    const response = await inFlight;
    // Either the run reached its approval before the stop, or it was handed back at a step boundary (202): the
    // next process resumes it from its checkpoint.
    expect([200, 202]).toContain(response.status);
    expect(["waiting_approval", "running", "queued"]).toContain(response.body.status);
    waitingRun = response.body as typeof waitingRun;
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/"msg":"stopped"/);
  }, 60_000);

  it("keys create prints exactly one JSON line once the data dir is free", async () => {
    const created = await cli(["keys", "create", "--tenant", "acme", "--actor", "carol", "--roles", "approver,requester"]);
    expect(created.code).toBe(0);
    const lines = created.stdout.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ key: expect.stringMatching(/^wdn_[0-9a-f]{16}_/), tenant: "acme", actor: "carol", roles: ["approver", "requester"] });
    const refused = await cli(["keys", "create", "--tenant", "acme", "--actor", "carol", "--roles", "superuser"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/VALIDATION_FAILED.*roles/);
  }, 60_000);

  it("a run waiting for approval survives the restart and is approved through the new process (started as npx warden serve), refunding once", async () => {
    const second = await serve(true);
    expect(second.output()).not.toMatch(/admin key/);
    const read = await call(second.url, keyOf.bob, "GET", `/v1/runs/${waitingRun.run_id}/wait?timeout_s=60`);
    expect(read.body.status).toBe("waiting_approval");
    const approved = await call(second.url, keyOf.bob, "POST", `/v1/approvals/${read.body.pending_approvals[0]!.approval_id}`, { decision: "approve" });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe("completed");
    expect(approved.body.effects).toEqual([expect.objectContaining({ tool: "issue_refund", status: "completed" })]);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    // Opening the data dir proves the server behind the launcher stopped too (it holds the PGlite lock).
    const store = await openStore({ dataDir, seed: false });
    try {
      expect(await count(store, "SELECT count(*)::int AS n FROM refunds WHERE tenant_id = 'acme' AND order_id = 'A-1001'")).toBe(1);
    } finally {
      await store.close();
    }
  }, 120_000);
});
