#!/usr/bin/env node
// Thin launcher so `npx warden ...` runs the TypeScript CLI through tsx without a build step.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...process.argv.slice(2)], { stdio: "inherit" });
// `warden serve` shuts down gracefully on SIGTERM: pass it on rather than dying and orphaning the server.
for (const signal of ["SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
// Ctrl-C reaches the whole process group, the CLI included: forwarding it too would count as a second signal.
process.on("SIGINT", () => {});
child.on("exit", (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 1)));
