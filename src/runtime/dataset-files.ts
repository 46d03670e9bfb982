import { readdirSync } from "node:fs";
import { join } from "node:path";

/** `name@version`: a dataset is versioned like releases, prompts and policies. */
export const DATASET_ID = /^[a-z][a-z0-9_-]*@\d+$/;

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
      .filter((id) => DATASET_ID.test(id))
      .sort();
  } catch {
    return [];
  }
}
