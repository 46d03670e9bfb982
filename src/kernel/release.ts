import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { WardenError } from "../errors.js";
import { POLICY_FILE_PATTERN, PROMPT_FILE_PATTERN, SNAKE_CASE_NAME_PATTERN, VERSIONED_ID_PATTERN, WORKFLOW_ID_PATTERN } from "../contracts/identifiers.js";

/** Project root: releases, prompts and policies are versioned data files resolved from here. */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

const RELEASE_ID = VERSIONED_ID_PATTERN;

const ModelSchema = z.object({
  provider: z.enum(["openai", "offline"]),
  name: z.string().min(1),
  temperature: z.number().min(0).max(2).default(0),
});

/** An agent entry's node that stands for every agent of the composition the release does not name itself. */
export const EVERY_AGENT = "*";
const DEFAULT_MAX_STEPS = 6;

const AgentEntrySchema = z.object({
  /** The agent's node name as its pack declares it (`support_agent`), or `*`: every other agent of the composition. */
  node: z.union([z.string().regex(SNAKE_CASE_NAME_PATTERN), z.literal(EVERY_AGENT)]),
  max_steps: z.number().int().min(1).max(50).default(DEFAULT_MAX_STEPS),
});
export type ReleaseAgent = z.infer<typeof AgentEntrySchema>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Release files written before a release could list several routes name one `workflow` and one `agent:
 * { max_steps }`. They keep loading: `workflow` becomes `workflows: [workflow]` and `agent` becomes `agents:
 * [{ node: "*", max_steps }]` (every agent, as before, when the file names none). A file giving both forms is
 * ambiguous and refused.
 */
function normaliseLegacyRoutes(input: unknown, ctx: z.core.$RefinementCtx<unknown>): unknown {
  if (!isRecord(input) || (!("workflow" in input) && !("agent" in input))) return input;
  const { workflow, agent, ...rest } = input;
  for (const [older, newer] of [["workflow", "workflows"], ["agent", "agents"]] as const) {
    if (older in input && newer in input) ctx.addIssue({ code: "custom", path: [older], message: `give ${newer} or the older ${older}, not both`, input });
  }
  return {
    ...rest,
    ...("workflows" in rest || workflow === undefined ? {} : { workflows: [workflow] }),
    ...("agents" in rest ? {} : { agents: [{ ...(isRecord(agent) ? agent : {}), node: EVERY_AGENT }] }),
  };
}

const unique = (names: string[]) => new Set(names).size === names.length;

const ReleaseFields = z.object({
  id: z.string().regex(RELEASE_ID),
  description: z.string().optional(),
  prompt: z.string().regex(PROMPT_FILE_PATTERN),
  model: ModelSchema,
  /** The model a `model` rollback switch on `model.name` falls back to; none: the switch stops model calls. */
  fallback_model: ModelSchema.optional(),
  tools: z.array(z.string()).min(1),
  policy: z.string().regex(POLICY_FILE_PATTERN),
  /** The workflows (`id@version`) the release routes to; a rule naming another one falls back to the agent. */
  workflows: z.array(z.string().regex(WORKFLOW_ID_PATTERN)).default([]).refine(unique, "a workflow is listed twice"),
  /** The agents the release routes to, each with its step bound; the first takes what no rule (or model) claims. */
  agents: z
    .array(AgentEntrySchema)
    .min(1)
    .refine((agents) => unique(agents.map((agent) => agent.node)), "an agent is listed twice"),
  /**
   * Requests no pack rule claims are classified by the release's model among the listed routes, when that model
   * is a real one (never the offline model). Off: they go to the first agent, as they always did.
   */
  model_routing: z.boolean().default(false),
  /** The release this one replaces: the baseline its eval is compared with (CI, `warden eval` without --baseline). */
  replaces: z.string().regex(RELEASE_ID).optional(),
  /** The fixture set that gates this release: `evals/datasets/<dataset>.jsonl`. */
  eval: z.object({ dataset: z.string().regex(VERSIONED_ID_PATTERN) }).optional(),
});

/** A release file: accepts the older single `workflow`/`agent` form and normalises it (see `normaliseLegacyRoutes`). */
export const ReleaseSchema = z.preprocess(normaliseLegacyRoutes, ReleaseFields);
export type Release = z.infer<typeof ReleaseFields>;

/** Reads and validates `releases/<id>.json`; the file name must match the id inside it. */
export function loadRelease(id: string, root: string = PROJECT_ROOT): Release {
  if (!RELEASE_ID.test(id)) throw new WardenError("RELEASE_NOT_FOUND", `Release id "${id}" is not of the form name@version.`);
  let raw: string;
  try {
    raw = readFileSync(join(root, "releases", `${id}.json`), "utf8");
  } catch {
    throw new WardenError("RELEASE_NOT_FOUND", `Release "${id}" does not exist.`, { details: { release: id } });
  }
  const parsed = ReleaseSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) {
    throw new WardenError("RELEASE_INVALID", `Release "${id}" is invalid.`, { details: parsed.error.issues });
  }
  if (parsed.data.id !== id) {
    throw new WardenError("RELEASE_INVALID", `releases/${id}.json declares id "${parsed.data.id}".`);
  }
  return parsed.data;
}

export function loadPrompt(release: Release, root: string = PROJECT_ROOT): string {
  return readFileSync(join(root, release.prompt), "utf8");
}

/**
 * The earlier versions of the release's prompt that exist on disk, newest first (`prompts/shop@3.md` →
 * `@2`, `@1`): what a `prompt` rollback switch falls back to.
 */
export function loadPreviousPrompts(release: Release, root: string = PROJECT_ROOT): Array<{ path: string; text: string }> {
  const match = PROMPT_FILE_PATTERN.exec(release.prompt)!;
  const previous: Array<{ path: string; text: string }> = [];
  for (let version = Number(match[2]) - 1; version >= 1; version--) {
    const path = `${match[1]}@${version}.md`;
    try {
      previous.push({ path, text: readFileSync(join(root, path), "utf8") });
    } catch {
      // A gap in the numbering is not an error: older versions may have been removed.
    }
  }
  return previous;
}
