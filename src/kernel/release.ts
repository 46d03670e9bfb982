import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { WardenError } from "../errors.js";
import { POLICY_FILE_PATTERN, PROMPT_FILE_PATTERN, VERSIONED_ID_PATTERN, WORKFLOW_ID_PATTERN } from "../contracts/identifiers.js";

/** Project root: releases, prompts and policies are versioned data files resolved from here. */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

const RELEASE_ID = VERSIONED_ID_PATTERN;

const ModelSchema = z.object({
  provider: z.enum(["openai", "offline"]),
  name: z.string().min(1),
  temperature: z.number().min(0).max(2).default(0),
});

export const ReleaseSchema = z.object({
  id: z.string().regex(RELEASE_ID),
  description: z.string().optional(),
  prompt: z.string().regex(PROMPT_FILE_PATTERN),
  model: ModelSchema,
  /** The model a `model` rollback switch on `model.name` falls back to; none: the switch stops model calls. */
  fallback_model: ModelSchema.optional(),
  tools: z.array(z.string()).min(1),
  policy: z.string().regex(POLICY_FILE_PATTERN),
  workflow: z.string().regex(WORKFLOW_ID_PATTERN),
  agent: z.object({ max_steps: z.number().int().min(1).max(50) }).default({ max_steps: 6 }),
  /** The release this one replaces: the baseline its eval is compared with (CI, `warden eval` without --baseline). */
  replaces: z.string().regex(RELEASE_ID).optional(),
  /** The fixture set that gates this release: `evals/datasets/<dataset>.jsonl`. */
  eval: z.object({ dataset: z.string().regex(VERSIONED_ID_PATTERN) }).optional(),
});
export type Release = z.infer<typeof ReleaseSchema>;

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
 * The earlier versions of the release's prompt that exist on disk, newest first (`prompts/support@3.md` →
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
