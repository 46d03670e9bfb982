import { parseArgs } from "node:util";
import { WardenError } from "../errors.js";
import { loadConfig } from "../runtime/config.js";
import type { PruneMode } from "../store/prune-checkpoints.js";
import { usageError } from "./open-cli-runtime.js";
import { progress } from "./step-progress.js";

export const CHECKPOINTS_USAGE = `warden checkpoints prune [--older-than-days N] [--mode keep_latest|delete_thread]

Prunes the checkpoints of finished threads (no run running, waiting for approval or failed) whose last run is
older than N days (default WARDEN_CHECKPOINT_RETENTION_DAYS, 30; 0 prunes nothing), in every tenant, and prints
{"threads":N,"checkpoints":N,"blobs":N,"writes":N} as one JSON line. keep_latest (default
WARDEN_CHECKPOINT_PRUNE_MODE) keeps each thread's latest state, so it reads the same and can continue;
delete_thread deletes all of it (the thread's runs and traces stay).
`;

/** `warden checkpoints prune`: the checkpoint retention prune, on DATABASE_URL or the PGlite data dir. */
export async function runCheckpoints(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  let values;
  try {
    values = parseArgs({ args: rest, strict: true, options: { "older-than-days": { type: "string" }, mode: { type: "string" } } }).values;
  } catch (error) {
    throw usageError(error, CHECKPOINTS_USAGE);
  }
  if (subcommand !== "prune") {
    throw new WardenError("VALIDATION_FAILED", `Unknown checkpoints command "${subcommand ?? ""}".\n\n${CHECKPOINTS_USAGE}`);
  }
  // The pruner needs LangGraph's channels and checkpoint saver: seconds of module loading, so say so first.
  progress.step("loading the checkpoint pruner");
  const [{ openStore }, { PRUNE_MODES, pruneCheckpoints, retentionCutoff }, { runtimeChannels }] = await Promise.all([
    import("../store/open-store.js"),
    import("../store/prune-checkpoints.js"),
    import("../kernel/state.js"),
  ]).finally(() => progress.done());
  const config = loadConfig();
  const days = values["older-than-days"] === undefined ? config.WARDEN_CHECKPOINT_RETENTION_DAYS : Number(values["older-than-days"]);
  if (!Number.isInteger(days) || days < 0) {
    throw new WardenError("VALIDATION_FAILED", `--older-than-days must be a whole number of days, 0 or more: ${values["older-than-days"]}\n\n${CHECKPOINTS_USAGE}`);
  }
  const mode = values.mode ?? config.WARDEN_CHECKPOINT_PRUNE_MODE;
  if (!(PRUNE_MODES as readonly string[]).includes(mode)) {
    throw new WardenError("VALIDATION_FAILED", `--mode must be keep_latest or delete_thread: ${mode}\n\n${CHECKPOINTS_USAGE}`);
  }
  if (days === 0) {
    // 0 means "keep forever", as in the server: never "everything up to now" by accident.
    console.log(JSON.stringify({ threads: 0, checkpoints: 0, blobs: 0, writes: 0 }));
    return;
  }
  // No seeding: a prune must not be what fills an empty database with demo data.
  progress.step("opening the database");
  const store = await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR, seed: false }).finally(() => progress.done());
  try {
    console.log(JSON.stringify(await pruneCheckpoints(store.db, { olderThan: retentionCutoff(days), mode: mode as PruneMode, channels: runtimeChannels() })));
  } finally {
    await store.close();
  }
}
