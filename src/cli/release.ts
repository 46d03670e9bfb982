import { parseArgs } from "node:util";
import { WardenError } from "../errors.js";
import { loadRelease } from "../kernel/release.js";
import { listReleases } from "../runtime/release-catalog.js";
import { openCliRuntime, usageError } from "./open-cli-runtime.js";

export const RELEASE_USAGE = `warden release list [--tenant T]      releases on disk; with --tenant, which one is active
warden release show <id>                 one release file, validated, as JSON
warden release activate <id> --tenant T [--by actor] [--force --reason "…"]
                                         make <id> the tenant's active release (the next run uses it).
                                         Promotion gate: a release the tenant never ran needs a passing
                                         \`npx warden eval --release <id>\` of its current content (else
                                         EVAL_GATE_REQUIRED / EVAL_GATE_FAILED, exit 1); --force with a
                                         --reason overrides it (audited as forced; --reason alone is
                                         recorded too). Activating a release the tenant ran before, or
                                         the default WARDEN_RELEASE, is the rollback: never blocked
`;

/** `warden release ...`: prints JSON lines on stdout. */
export async function runRelease(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { tenant: { type: "string" }, by: { type: "string" }, force: { type: "boolean" }, reason: { type: "string" } } });
  } catch (error) {
    throw usageError(error, RELEASE_USAGE);
  }
  const { values, positionals } = parsed;
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  switch (subcommand) {
    case "show": {
      if (!positionals[0]) throw new WardenError("VALIDATION_FAILED", `release show needs an id.\n\n${RELEASE_USAGE}`);
      print(loadRelease(positionals[0]));
      return;
    }
    case "list": {
      if (!values.tenant) {
        // Files only: no database needed to see what could be activated.
        for (const release of listReleases()) print({ id: release.id, description: release.description, prompt: release.prompt, policy: release.policy, workflows: release.workflows, agents: release.agents });
        return;
      }
      const runtime = await openCliRuntime("GET /v1/admin/releases with an admin key");
      try {
        const active = await runtime.releases.active(values.tenant);
        for (const release of runtime.releases.list()) {
          print({ id: release.id, description: release.description, prompt: release.prompt, policy: release.policy, workflows: release.workflows, agents: release.agents, active: release.id === active.release_id });
        }
      } finally {
        await runtime.close();
      }
      return;
    }
    case "activate": {
      const id = positionals[0];
      if (!id || !values.tenant) throw new WardenError("VALIDATION_FAILED", `release activate needs an id and --tenant.\n\n${RELEASE_USAGE}`);
      if (values.force && !values.reason?.trim()) throw new WardenError("VALIDATION_FAILED", `release activate --force needs --reason "…" (it is audited).\n\n${RELEASE_USAGE}`);
      const runtime = await openCliRuntime("PUT /v1/admin/releases/active with an admin key");
      try {
        const options = { ...(values.force ? { force: true } : {}), ...(values.reason === undefined ? {} : { reason: values.reason }) };
        print(await runtime.releases.activate(values.tenant, id, values.by ?? "cli", options));
      } finally {
        await runtime.close();
      }
      return;
    }
    default:
      throw new WardenError("VALIDATION_FAILED", `Unknown release command "${subcommand ?? ""}".\n\n${RELEASE_USAGE}`);
  }
}
