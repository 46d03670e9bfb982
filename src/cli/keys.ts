import { parseArgs } from "node:util";
import { WardenError } from "../errors.js";
import { loadConfig } from "../runtime/config.js";
import { createApiKey, parseNewApiKey } from "../server/api-keys.js";
import { openCliDb } from "./open-cli-db.js";
import { progress } from "./step-progress.js";

export const KEYS_USAGE = `warden keys create --tenant <tenant> --actor <actor> --roles <role,role...>

Creates an API key and prints it once as one JSON line {"key","tenant","actor","roles"}; only its hash is stored.
Roles: requester, approver, admin, each at most once. On embedded PGlite this needs the data directory free (stop the server, or
use POST /v1/admin/keys with an admin key instead).
`;

/** `warden keys create ...`: prints exactly one JSON line on stdout. */
export async function runKeys(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand !== "create") throw new WardenError("VALIDATION_FAILED", `Unknown keys command "${subcommand ?? ""}".\n\n${KEYS_USAGE}`);
  const values = parseKeyArgs(rest);
  if (!values.tenant || !values.actor || !values.roles) {
    throw new WardenError("VALIDATION_FAILED", `--tenant, --actor and --roles are required.\n\n${KEYS_USAGE}`);
  }
  const roles = values.roles.split(",").map((role) => role.trim()).filter(Boolean);
  // Checked before the store opens: a typo (an unknown or repeated role) is reported even while the server holds it.
  const request = parseNewApiKey({ tenant: values.tenant, actor: values.actor, roles });
  const config = loadConfig();
  // The database alone (no checkpointer, no runtime): a key is one row.
  const db = await openCliDb({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.WARDEN_DATA_DIR,
    lockedHint: "While the server runs, create keys over HTTP: POST /v1/admin/keys with an admin key.",
  });
  try {
    progress.step("creating the key");
    const created = await createApiKey(db, request);
    progress.done();
    process.stdout.write(`${JSON.stringify({ key: created.key, tenant: created.tenant, actor: created.actor, roles: created.roles })}\n`);
  } finally {
    progress.done();
    await db.close();
  }
}

function parseKeyArgs(args: string[]): { tenant?: string | undefined; actor?: string | undefined; roles?: string | undefined } {
  try {
    return parseArgs({ args, options: { tenant: { type: "string" }, actor: { type: "string" }, roles: { type: "string" } }, strict: true }).values;
  } catch (error) {
    // An unknown option or a missing value: say so with the usage, not with a stack trace.
    throw new WardenError("VALIDATION_FAILED", `${error instanceof Error ? error.message : String(error)}\n\n${KEYS_USAGE}`);
  }
}
