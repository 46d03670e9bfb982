import { randomBytes } from "node:crypto";
import { supportPack } from "../../src/packs/support/index.js";
import { releaseContentHash } from "../../src/runtime/release-content-hash.js";
import type { Queryable } from "../../src/store/db.js";
import { recordEvalRun, type EvalRunRow } from "../../src/store/eval-runs.js";
import type { ToolDefinition } from "../../src/tools/types.js";
import { createEvalRoot } from "./eval-root.js";

/** One valid case: enough for a dataset file to exist and be hashed (the gate tests never run it). */
export const TINY_DATASET = `${JSON.stringify({
  id: "refund-damaged",
  input: { tenant: "acme", actor: "alice", roles: ["requester"], goal: "Refund order A-1001, it arrived broken." },
  expect: { status: "waiting_approval" },
})}\n`;

/** A project root of its own: what a release's content hash reads, copied from the repository. */
export interface ProjectCopy {
  root: string;
  remove(): void;
}

/**
 * Copies `releases/`, `prompts/`, `policies/` and `package-lock.json` into a temp directory and writes a tiny
 * `evals/datasets/support@1.jsonl`, so a test can compute (and change) releases' content hashes without
 * depending on the repository's dataset. Pass `root` to the runtime (`createRuntime({ root })`) and to the
 * helpers below.
 */
export function copyProject(): ProjectCopy {
  const copy = createEvalRoot();
  copy.write("evals/datasets/support@1.jsonl", TINY_DATASET);
  return { root: copy.root, remove: copy.remove };
}

export interface RecordEvalOptions {
  root?: string;
  tools?: readonly ToolDefinition[];
  gate?: "pass" | "fail";
  reasons?: string[];
}

/**
 * Records an eval of the release's current content hash, as `warden eval` does after running the dataset:
 * a passing one by default (then the gate lets the release through).
 */
export async function recordEval(db: Queryable, releaseId: string, options: RecordEvalOptions = {}): Promise<EvalRunRow> {
  const content = releaseContentHash(releaseId, { ...(options.root ? { root: options.root } : {}), tools: options.tools ?? supportPack.tools });
  const gate = options.gate ?? "pass";
  const cases = 4;
  const failed = gate === "pass" ? 0 : 1;
  return recordEvalRun(db, {
    eval_id: `ev_test_${randomBytes(6).toString("hex")}`,
    release_id: releaseId,
    content_hash: content.hash,
    dataset: content.dataset,
    gate,
    cases,
    passed: cases - failed,
    failed,
    scores: { task_success: (cases - failed) / cases },
    reasons: options.reasons ?? (gate === "pass" ? [] : ["task_success 0.75 < 1"]),
  });
}

/** A passing eval of the release's current content under `root`: what a successful `warden eval` records. */
export function recordPassingEval(db: Queryable, releaseId: string, root?: string): Promise<EvalRunRow> {
  return recordEval(db, releaseId, { ...(root ? { root } : {}) });
}
