import { parseArgs } from "node:util";
import { WardenError } from "../errors.js";
import { sweepMemories } from "../memory/create-memory.js";
import { loadConfig } from "../runtime/config.js";
import { openCliDb } from "./open-cli-db.js";
import { usageError } from "./open-cli-runtime.js";
import { progress } from "./step-progress.js";

export const MEMORY_USAGE = `warden memory sweep [--now ISO-8601]

Deletes long-term memory entries whose retention period has run out (in every tenant), audits how many per
subject, and prints {"deleted": N} as one JSON line. --now sweeps as of another instant (for checks).
`;

/** `warden memory sweep`: the retention sweep, on DATABASE_URL or the PGlite data dir. */
export async function runMemory(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  let values;
  try {
    values = parseArgs({ args: rest, strict: true, options: { now: { type: "string" } } }).values;
  } catch (error) {
    throw usageError(error, MEMORY_USAGE);
  }
  if (subcommand !== "sweep") {
    throw new WardenError("VALIDATION_FAILED", `Unknown memory command "${subcommand ?? ""}".\n\n${MEMORY_USAGE}`);
  }
  const at = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(at.getTime())) throw new WardenError("VALIDATION_FAILED", `--now is not a date: ${values.now}\n\n${MEMORY_USAGE}`);
  const config = loadConfig();
  // No seeding: a sweep must not be what fills an empty database with demo data.
  // The database alone: the sweep deletes rows of its own tables, the checkpointer is not involved.
  const db = await openCliDb({ databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR, seed: false });
  try {
    progress.step("deleting expired memories");
    const result = await sweepMemories(db, at);
    progress.done();
    console.log(JSON.stringify(result));
  } finally {
    progress.done();
    await db.close();
  }
}
