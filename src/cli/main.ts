import { parseArgs } from "node:util";
import { isWardenError } from "../errors.js";
import { runCheckpoints } from "./checkpoints.js";
import { runDemo } from "./demo.js";
import { runEvalCommand } from "./eval.js";
import { runFlags } from "./flags.js";
import { runKeys } from "./keys.js";
import { runMemory } from "./memory.js";
import { runMigrate } from "./migrate.js";
import { runRelease } from "./release.js";
import { runRuns } from "./runs.js";
import { runServe } from "./serve.js";

const USAGE = `warden <command>

Commands:
  demo [--json]   run the seed's scenarios (refunds, a question, memory) on embedded PGlite with the offline model
  migrate         apply database migrations (DATABASE_URL, or the PGlite data dir) and seed an empty database
  serve           run the HTTP API on PORT (8080) / HOST (127.0.0.1); prints an admin key on first start
  keys create --tenant T --actor A --roles requester,approver,admin
                  create an API key and print it once as one JSON line
  eval --release R [--baseline B|none] [--dataset D] [--json] [--out DIR] [--concurrency N] [--langsmith]
                  run the release's eval dataset (and its baseline's) offline; the gate decides the exit status
  release list [--tenant T] | show <id> | activate <id> --tenant T
                  versioned releases; activating the previous one is the rollback (next run, no restart)
  flags set|clear (--tenant T | --global) --kind tool|prompt|model|workflow|agent|runtime [--target X] ...
  flags list [--tenant T]
                  rollback switches, acting within a second on every process (warden flags for details)
  memory sweep [--now ISO]
                  delete expired long-term memory entries (audited) and print {"deleted": N}
  runs recover <run_id> --tenant T [--wait-s N] | runs show <run_id> --tenant T
                  retry a failed run from its last checkpoint (completed effects replay from the ledger)
  checkpoints prune [--older-than-days N] [--mode keep_latest|delete_thread]
                  prune the checkpoints of finished threads (default WARDEN_CHECKPOINT_RETENTION_DAYS, 30)

Settings come from the environment and from ./.env when present (the environment wins; see .env.example).
`;

/**
 * Loads `./.env` when there is one (`.env.example` invites copying it). Variables already set in the environment
 * win: Node's loader never overrides them. An empty value (`DATABASE_URL=`) counts as unset in loadConfig.
 */
function loadDotEnv(): void {
  try {
    process.loadEnvFile(".env");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

async function main(argv: string[]): Promise<number> {
  // First, before any command reads process.env (no module reads it at import time).
  loadDotEnv();
  const [command, ...rest] = argv;
  switch (command) {
    case "demo": {
      const { values } = parseArgs({ args: rest, options: { json: { type: "boolean", default: false } } });
      await runDemo({ json: values.json ?? false });
      return 0;
    }
    case "migrate":
      await runMigrate();
      return 0;
    case "serve":
      return runServe();
    case "keys":
      await runKeys(rest);
      return 0;
    case "eval":
      return runEvalCommand(rest);
    case "release":
      await runRelease(rest);
      return 0;
    case "flags":
      await runFlags(rest);
      return 0;
    case "memory":
      await runMemory(rest);
      return 0;
    case "runs":
      await runRuns(rest);
      return 0;
    case "checkpoints":
      await runCheckpoints(rest);
      return 0;
    case undefined:
    case "help":
    case "--help":
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isWardenError(error)) process.stderr.write(`error ${error.code}: ${error.message}\n`);
    else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
