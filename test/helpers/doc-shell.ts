import { spawn } from "node:child_process";

/**
 * The ```bash blocks between `<!-- <marker>:start -->` and `<!-- <marker>:end -->` in a Markdown page, in order.
 * Prose between the blocks is left out: it is what a reader reads, the blocks are what they paste.
 */
export function markedShellBlocks(markdown: string, marker: string): string[] {
  const start = markdown.indexOf(`<!-- ${marker}:start -->`);
  const end = markdown.indexOf(`<!-- ${marker}:end -->`);
  if (start < 0 || end < start) throw new Error(`no <!-- ${marker}:start --> … <!-- ${marker}:end --> section`);
  return [...markdown.slice(start, end).matchAll(/^```(?:bash|sh)\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

export interface BashResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether the script's process group (what it left running in the background) had to be killed. */
  killedLeftovers: boolean;
}

export interface BashOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The script itself; past it, the script and everything it started are killed and the result says so. */
  timeoutMs: number;
  /** How long what the script left running (a server it asked to stop) may take to exit before it is killed. */
  leftoverGraceMs: number;
}

/** Whether any process of the group still exists (signal 0 checks without signalling). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * Runs `script` in bash as the leader of its own process group, so a server it starts in the background (and
 * npx's children under it) can be found and killed however the script ends. Resolves once the script exited
 * and its group is empty: what it left running gets `leftoverGraceMs` to stop on its own, then SIGKILL.
 */
export async function runBash(script: string, options: BashOptions): Promise<BashResult> {
  const child = spawn("bash", ["-c", script], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const pgid = child.pid!;
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // "exit", not "close": a background process may still hold a copy of the pipes.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), options.timeoutMs)));
  const first = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  let killedLeftovers = false;
  if (first === "timeout") {
    killGroup(pgid);
    killedLeftovers = true;
  }
  const { code, signal } = await exited;
  const deadline = Date.now() + options.leftoverGraceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (groupAlive(pgid)) {
    killGroup(pgid);
    killedLeftovers = true;
    while (groupAlive(pgid)) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (first === "timeout") stderr += `\n[runBash] killed after ${options.timeoutMs} ms`;
  return { code, signal, stdout, stderr, killedLeftovers };
}
