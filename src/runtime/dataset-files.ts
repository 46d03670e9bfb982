import { readdirSync } from "node:fs";
import { join } from "node:path";
import { VERSIONED_ID_PATTERN } from "../contracts/identifiers.js";


/** Where a dataset lives, relative to the project root. */
export function datasetPath(id: string): string {
  return `evals/datasets/${id}.jsonl`;
}

/** Every dataset id under `<root>/evals/datasets`, sorted. */
export function listDatasets(root: string): string[] {
  try {
    return readdirSync(join(root, "evals", "datasets"))
      .filter((name) => name.endsWith(".jsonl"))
      .map((name) => name.slice(0, -".jsonl".length))
      .filter((id) => VERSIONED_ID_PATTERN.test(id))
      .sort();
  } catch {
    return [];
  }
}
