import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { WardenError } from "../errors.js";

/**
 * The gate's rules as data (`evals/thresholds.json`): hard evaluators must score 1 on every case they apply to;
 * soft ones need a minimum mean; against a baseline, a soft mean may not fall by more than its tolerance, and
 * (always) no case that passed on the baseline may fail on the candidate.
 */
export const ThresholdsSchema = z.strictObject({
  hard: z.array(z.string().min(1)).min(1),
  soft: z.record(z.string().min(1), z.strictObject({ min_mean: z.number().min(0).max(1), tolerance: z.number().min(0).max(1).default(0) })),
});
export type Thresholds = z.infer<typeof ThresholdsSchema>;

export function parseThresholds(raw: unknown, knownEvaluators: readonly string[]): Thresholds {
  const parsed = ThresholdsSchema.safeParse(raw);
  if (!parsed.success) throw new WardenError("DATASET_INVALID", `evals/thresholds.json is invalid: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`);
  // A typo'd evaluator name would gate nothing: refuse it rather than pass every release.
  const known = new Set(knownEvaluators);
  const unknown = [...parsed.data.hard, ...Object.keys(parsed.data.soft)].filter((key) => !known.has(key));
  if (unknown.length > 0) throw new WardenError("DATASET_INVALID", `evals/thresholds.json names unknown evaluator(s) ${unknown.join(", ")} (known: ${[...known].join(", ")})`);
  const both = parsed.data.hard.filter((key) => key in parsed.data.soft);
  if (both.length > 0) throw new WardenError("DATASET_INVALID", `evals/thresholds.json lists ${both.join(", ")} as both hard and soft`);
  return parsed.data;
}

export function loadThresholds(root: string, knownEvaluators: readonly string[], file = "evals/thresholds.json"): Thresholds {
  let text: string;
  try {
    text = readFileSync(join(root, file), "utf8");
  } catch {
    throw new WardenError("DATASET_INVALID", `${file} does not exist.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new WardenError("DATASET_INVALID", `${file} is not JSON.`);
  }
  return parseThresholds(raw, knownEvaluators);
}

/** Evaluators whose verdict can fail a case. The rest (e.g. the judge when not listed) are reported only. */
export function gatingKeys(thresholds: Thresholds): Set<string> {
  return new Set([...thresholds.hard, ...Object.keys(thresholds.soft)]);
}
