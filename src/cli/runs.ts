import { parseArgs } from "node:util";
import { WardenError } from "../errors.js";
import { loadConfig } from "../runtime/config.js";
import { openCliRuntime, usageError } from "./open-cli-runtime.js";

export const RUNS_USAGE = `warden runs recover <run_id> --tenant T [--wait-s N]
                                         retry a failed run from its last checkpoint (fresh attempts; completed
                                         effects replay from the ledger) and print the run as one JSON line once it
                                         is stable or after N seconds (default 30)
warden runs show <run_id> --tenant T     print the run as one JSON line
`;

/**
 * `warden runs ...`. On Postgres the servers' workers execute the recovered run (this command only queues it and
 * waits); on the embedded database no server can be running (it holds the data directory), so this process
 * executes it.
 */
export async function runRuns(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { tenant: { type: "string" }, "wait-s": { type: "string" } } });
  } catch (error) {
    throw usageError(error, RUNS_USAGE);
  }
  const { values, positionals } = parsed;
  const runId = positionals[0];
  if (!runId || !values.tenant) throw new WardenError("VALIDATION_FAILED", `runs ${subcommand ?? ""} needs a run id and --tenant.\n\n${RUNS_USAGE}`);
  const waitS = values["wait-s"] === undefined ? 30 : Number(values["wait-s"]);
  if (!Number.isInteger(waitS) || waitS < 0 || waitS > 3600) throw new WardenError("VALIDATION_FAILED", `--wait-s must be whole seconds, 0..3600.\n\n${RUNS_USAGE}`);
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  const embedded = !loadConfig().DATABASE_URL;
  switch (subcommand) {
    case "recover": {
      const runtime = await openCliRuntime("POST /v1/runs/:run_id/recover with an admin key", { worker: embedded });
      try {
        print(await runtime.recover(values.tenant, runId, { waitMs: waitS * 1000 }));
      } finally {
        await runtime.close();
      }
      return;
    }
    case "show": {
      const runtime = await openCliRuntime("GET /v1/runs/:run_id");
      try {
        print(await runtime.getRun(values.tenant, runId));
      } finally {
        await runtime.close();
      }
      return;
    }
    default:
      throw new WardenError("VALIDATION_FAILED", `Unknown runs command "${subcommand ?? ""}".\n\n${RUNS_USAGE}`);
  }
}
