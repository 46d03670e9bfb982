#!/usr/bin/env node
// Thin launcher so `npx warden ...` runs the TypeScript CLI through tsx without a build step.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// tsx resolved from this package, not from the current directory: `--import tsx` alone fails wherever the
// caller's directory has no node_modules/tsx (a project that only depends on warden, a temp directory).
const tsx = import.meta.resolve("tsx");
const child = spawn(process.execPath, ["--import", tsx, join(root, "src/cli/main.ts"), ...process.argv.slice(2)], { stdio: "inherit" });
// `warden serve` shuts down gracefully on SIGTERM: pass it on rather than dying and orphaning the server.
for (const signal of ["SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
// Ctrl-C reaches the whole process group, the CLI included: forwarding it too would count as a second signal.
process.on("SIGINT", () => {});
// Under npm (`npx warden serve`, an npm script), npm passes SIGTERM to the `sh -c` it started, and dash dies
// without passing it on: this process would live on, orphaned, with the server holding the port and the data
// directory. Under npm the parent going away means npm was told to stop, so stop the server as on SIGTERM.
if (process.env.npm_command !== undefined) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    child.kill("SIGTERM");
  }, 200);
  watch.unref();
}
child.on("exit", (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 1)));
