import { parseArgs } from "node:util";
import { isWardenError } from "../errors.js";
import { progress } from "./step-progress.js";

// Each command's module is imported when that command runs, never up front: the runtime (LangGraph, the graph,
// LangSmith, OpenTelemetry, pg-boss, Fastify) costs over a second to load, and `keys`, `migrate` or `release list`
// need none of it. Keep this file's static imports to node built-ins and the two small modules above.

const USAGE = `warden <command>

Commands:
  demo [--json]   run the packs' demo scenarios on their seed, on embedded PGlite with the offline model
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
  new pack <name> write a working pack (tools, workflow with an approval, agent, policy, prompt, release,
                  eval dataset, test) and add it to warden.config.ts (warden new for details)

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
      const { runDemo } = await import("./demo.js");
      await runDemo({ json: values.json ?? false });
      return 0;
    }
    case "migrate": {
      const { runMigrate } = await import("./migrate.js");
      await runMigrate();
      return 0;
    }
    case "serve": {
      const { runServe } = await import("./serve.js");
      return runServe();
    }
    case "keys": {
      const { runKeys } = await import("./keys.js");
      await runKeys(rest);
      return 0;
    }
    case "eval": {
      const { runEvalCommand } = await import("./eval.js");
      return runEvalCommand(rest);
    }
    case "release": {
      const { runRelease } = await import("./release.js");
      await runRelease(rest);
      return 0;
    }
    case "flags": {
      const { runFlags } = await import("./flags.js");
      await runFlags(rest);
      return 0;
    }
    case "memory": {
      const { runMemory } = await import("./memory.js");
      await runMemory(rest);
      return 0;
    }
    case "runs": {
      const { runRuns } = await import("./runs.js");
      await runRuns(rest);
      return 0;
    }
    case "checkpoints": {
      const { runCheckpoints } = await import("./checkpoints.js");
      await runCheckpoints(rest);
      return 0;
    }
    case "new": {
      const { runNew } = await import("./new-pack.js");
      await runNew(rest);
      return 0;
    }
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
  (code) => {
    progress.done();
    process.exit(code);
  },
  (error: unknown) => {
    // An error message starts on a clean line, not after a half-erased "opening the database…".
    progress.done();
    if (isWardenError(error)) process.stderr.write(`error ${error.code}: ${error.message}\n`);
    else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
