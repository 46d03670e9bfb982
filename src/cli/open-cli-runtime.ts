import { isWardenError, WardenError } from "../errors.js";
import type { Runtime } from "../runtime/create-runtime.js";
import { progress } from "./step-progress.js";

/**
 * A runtime for one CLI command, on DATABASE_URL or the PGlite data directory. On PGlite the directory must be
 * free: while the server runs, the same change goes through its admin API (`hint`). Imported only by the
 * commands that need it: the runtime's module graph is the slowest part of a command's start.
 */
export async function openCliRuntime(hint: string, options: { worker?: boolean } = {}): Promise<Runtime> {
  progress.step("loading the runtime");
  const { createRuntime } = await import("../runtime/create-runtime.js");
  progress.step("opening the database and applying migrations");
  // A CLI command executes no runs unless asked: on a shared Postgres it would take jobs from the servers' queue
  // only to hand them back when it exits.
  const runtime = await createRuntime({ worker: options.worker ?? false }).catch((error: unknown) => {
    progress.done();
    if (!isWardenError(error, "STORE_LOCKED")) throw error;
    throw new WardenError("STORE_LOCKED", `${error.message} While the server runs, use ${hint}.`, { details: error.details });
  });
  progress.done();
  return runtime;
}

/** parseArgs errors (unknown option, missing value) as VALIDATION_FAILED with the usage, not a stack trace. */
export function usageError(error: unknown, usage: string): WardenError {
  return new WardenError("VALIDATION_FAILED", `${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
}
