import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { acquireDataDirLock } from "../../src/store/data-dir-lock.js";
import { openStore } from "../../src/store/open-store.js";
import { isAlive } from "../helpers/processes.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WARDEN = join(ROOT, "bin/warden.js");
const temporary: string[] = [];
/** Processes a test started: whatever a failed test left running is killed at the end. */
const started = new Set<number>();

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `warden-${prefix}-`));
  temporary.push(dir);
  return dir;
}

afterAll(() => {
  for (const pid of started) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/**
 * The environment of a spawned CLI: the test's own, minus what would change the outcome (a Postgres URL, npm's
 * markers from the `npx vitest` that runs us), plus `extra`. An empty DATABASE_URL also shadows a stray .env.
 */
function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("npm_") && name !== "WARDEN_DATA_DIR") env[name] = value;
  return { ...env, DATABASE_URL: "", WARDEN_WORKERS: "1", ...extra };
}

/** Every process below `pid`, from `ps` (the wrappers npm and the launcher put between us and the server). */
function descendantsOf(pid: number): number[] {
  const table = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  for (let frontier = [pid]; frontier.length > 0; ) {
    const children = table.filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...children);
    frontier = children;
  }
  return found;
}

async function eventually(check: () => boolean | Promise<boolean>, what: string, waitMs = 30_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Served {
  child: ChildProcess;
  url: string;
  exit: Promise<number | null>;
  output: () => string;
}

/** Starts a `serve` command on port 0 and resolves once its "warden listening" line names the url. */
function serve(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Served> {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const failed = setTimeout(() => reject(new Error(`no "warden listening" line within 90 s:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      for (const line of output.split("\n")) {
        if (!line.includes('"warden listening"')) continue;
        clearTimeout(failed);
        resolve({ child, url: (JSON.parse(line) as { url: string }).url, exit, output: () => output });
        return;
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    void exit.then((code) => reject(new Error(`exited with ${code} before listening:\n${output}`)));
  });
}

/** SIGTERM to `target` alone; then the whole tree is gone, the port is closed and the data directory is free. */
async function expectStopsOnSigterm(served: Served, target: number, dataDir: string): Promise<void> {
  expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
  const tree = [target, ...descendantsOf(target)];
  for (const pid of tree) started.add(pid);
  expect(tree.length, "the server runs below the signalled process").toBeGreaterThan(1);
  process.kill(target, "SIGTERM");
  await eventually(() => tree.every((pid) => !isAlive(pid)), `every process of ${tree.join(", ")} exited\n${served.output()}`);
  await expect(fetch(`${served.url}/healthz`)).rejects.toThrow();
  expect(existsSync(join(dataDir, "warden.lock"))).toBe(false);
  acquireDataDirLock(dataDir).release(); // would throw STORE_LOCKED if the server still held it
}

describe("serve stops on SIGTERM to the process that was started", () => {
  it("npm run serve: npm, and the server below it, exit; the port and the PGlite data directory are free", async () => {
    const dataDir = join(tempDir("npm-serve"), "pgdata");
    const served = await serve("npm", ["run", "serve"], cliEnv({ PORT: "0", HOST: "127.0.0.1", WARDEN_DATA_DIR: dataDir }));
    await expectStopsOnSigterm(served, served.child.pid!, dataDir);
    expect(await served.exit).toBe(0);
    expect(served.output()).toContain('"msg":"stopped"');
    const store = await openStore({ dataDir }); // the data directory opens again, intact
    await store.close();
  });

  it("node bin/warden.js serve: the launcher passes SIGTERM on and exits with the server's code", async () => {
    const dataDir = join(tempDir("bin-serve"), "pgdata");
    const served = await serve(process.execPath, [WARDEN, "serve"], cliEnv({ PORT: "0", HOST: "127.0.0.1", WARDEN_DATA_DIR: dataDir }));
    await expectStopsOnSigterm(served, served.child.pid!, dataDir);
    expect(await served.exit).toBe(0);
    expect(served.output()).toContain('"msg":"stopped"');
  });

  it("under npm's `sh -c` (as npx runs it), killing the shell stops the launcher and the server too", async () => {
    const dataDir = join(tempDir("npx-serve"), "pgdata");
    // What `npx warden serve` spawns: dash runs the command as its child and dies on SIGTERM without passing it on.
    const served = await serve("sh", ["-c", `"${process.execPath}" "${WARDEN}" serve`], cliEnv({ PORT: "0", HOST: "127.0.0.1", WARDEN_DATA_DIR: dataDir, npm_command: "exec" }));
    await expectStopsOnSigterm(served, served.child.pid!, dataDir);
  });
});

describe("the CLI reads ./.env", () => {
  const migrate = (cwd: string, extra: Record<string, string>) => {
    const env = cliEnv(extra);
    delete env.DATABASE_URL; // only .env says anything about it
    return spawnSync(process.execPath, [WARDEN, "migrate"], { cwd, env, encoding: "utf8", timeout: 90_000 });
  };

  it("loads .env from the current directory; an empty DATABASE_URL= means embedded PGlite", () => {
    const dir = tempDir("dotenv");
    writeFileSync(join(dir, ".env"), "# copied from .env.example\nDATABASE_URL=\nWARDEN_DATA_DIR=from-dotenv\nWARDEN_RELEASE=support@1\n");
    const result = migrate(dir, {});
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("database ready (pglite at from-dotenv)");
    expect(existsSync(join(dir, "from-dotenv"))).toBe(true);
  });

  it("a variable set in the environment wins over .env", () => {
    const dir = tempDir("dotenv-env-wins");
    writeFileSync(join(dir, ".env"), "DATABASE_URL=\nWARDEN_DATA_DIR=from-dotenv\n");
    const result = migrate(dir, { WARDEN_DATA_DIR: join(dir, "from-env") });
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(join(dir, "from-env"))).toBe(true);
    expect(existsSync(join(dir, "from-dotenv"))).toBe(false);
  });

  it("runs without a .env", () => {
    const dir = tempDir("no-dotenv");
    const result = spawnSync(process.execPath, [WARDEN, "help"], { cwd: dir, env: cliEnv({}), encoding: "utf8", timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("warden <command>");
  });
});

describe("warden keys create", () => {
  it("refuses a repeated role with a clear error, before it opens the database", () => {
    const dir = tempDir("keys");
    const result = spawnSync(process.execPath, [WARDEN, "keys", "create", "--tenant", "acme", "--actor", "alice", "--roles", "requester,requester"], {
      cwd: dir,
      env: cliEnv({ WARDEN_DATA_DIR: join(dir, "pgdata") }),
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error VALIDATION_FAILED: .*roles: must not repeat a role \("requester"/);
    expect(result.stdout).toBe("");
    expect(existsSync(join(dir, "pgdata"))).toBe(false);
  });
});
