import { parseArgs } from "node:util";
import { WardenError } from "../errors.js";
import { flagKey, FlagInputSchema } from "../runtime/flag-input.js";
import { GLOBAL_TENANT } from "../store/flags.js";
import { openCliRuntime, usageError } from "./open-cli-runtime.js";

export const FLAGS_USAGE = `warden flags set (--tenant T | --global) --kind K [--target X] [--mode agent|refuse] [--reason R] [--by actor]
warden flags clear (--tenant T | --global) --kind K [--target X]
warden flags list [--tenant T]

Kinds: tool (--target <tool name>), prompt (--target prompts/<name>@2.md), model (--target gpt-4.1-mini),
workflow (--target <workflow>@1 --mode agent|refuse), agent, runtime. A switch acts on every process within
a second, including runs waiting for an approval.
`;

/** `warden flags ...`: prints the resulting switches as JSON lines. */
export async function runFlags(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  let values;
  try {
    values = parseArgs({
      args: rest,
      strict: true,
      options: {
        tenant: { type: "string" },
        global: { type: "boolean", default: false },
        kind: { type: "string" },
        target: { type: "string" },
        mode: { type: "string" },
        reason: { type: "string" },
        by: { type: "string" },
      },
    }).values;
  } catch (error) {
    throw usageError(error, FLAGS_USAGE);
  }
  if (subcommand !== "set" && subcommand !== "clear" && subcommand !== "list") {
    throw new WardenError("VALIDATION_FAILED", `Unknown flags command "${subcommand ?? ""}".\n\n${FLAGS_USAGE}`);
  }
  if (subcommand !== "list" && Boolean(values.tenant) === values.global) {
    throw new WardenError("VALIDATION_FAILED", `Give exactly one of --tenant and --global.\n\n${FLAGS_USAGE}`);
  }
  const tenant = values.global ? GLOBAL_TENANT : (values.tenant ?? GLOBAL_TENANT);
  const parsed =
    subcommand === "list"
      ? undefined
      : FlagInputSchema.safeParse({
          kind: values.kind,
          ...(values.target !== undefined ? { target: values.target } : {}),
          ...(values.mode !== undefined ? { mode: values.mode } : {}),
          ...(values.reason !== undefined ? { reason: values.reason } : {}),
          disabled: subcommand === "set",
        });
  if (parsed && !parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "flag"}: ${issue.message}`).join("; ");
    throw new WardenError("VALIDATION_FAILED", `${issues}\n\n${FLAGS_USAGE}`);
  }
  const runtime = await openCliRuntime("PUT /v1/admin/flags with an admin key");
  try {
    if (parsed?.data) {
      const { target, mode } = flagKey(parsed.data);
      if (parsed.data.disabled) await runtime.flags.set({ tenant, kind: parsed.data.kind, target, mode, reason: parsed.data.reason ?? null, setBy: values.by ?? "cli" });
      else await runtime.flags.clear(tenant, parsed.data.kind, target);
    }
    for (const row of await runtime.flags.list(tenant, true)) process.stdout.write(`${JSON.stringify(row)}\n`);
  } finally {
    await runtime.close();
  }
}
