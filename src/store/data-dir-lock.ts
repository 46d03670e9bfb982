import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { WardenError } from "../errors.js";

/**
 * PGlite is single-process: two processes on one data directory both open it and silently lose writes
 * (seen on this machine). A pid lock file makes the second opener fail with a clear error instead.
 */
export interface DataDirLock {
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else: still alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "warden.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new WardenError(
          "STORE_LOCKED",
          `The embedded database at ${dataDir} is in use by process ${holder}. Stop it, or set DATABASE_URL to share a Postgres server between processes.`,
          { details: { dataDir, pid: holder } },
        );
      }
      if (holder === process.pid) {
        throw new WardenError("STORE_LOCKED", `The embedded database at ${dataDir} is already open in this process.`, {
          details: { dataDir, pid: holder },
        });
      }
      // A stale lock left by a process that died: take it over.
      rmSync(path, { force: true });
    }
  }
  throw new WardenError("STORE_LOCKED", `Could not lock the embedded database at ${dataDir}.`);
}
