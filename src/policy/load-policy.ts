import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { WardenError } from "../errors.js";
import { createPolicyEngine } from "./create-policy-engine.js";
import { parsePolicy, type PolicyDocument } from "./policy-schema.js";
import type { PolicyEngine } from "./types.js";

/** `credits@1.json` → id `credits`, version 1: the name releases use to pin a policy. */
const FILE_NAME_PATTERN = /^(.+)@(\d+)\.json$/;

/**
 * Reads and validates a policy file. When the file is named `<id>@<version>.json` its content must carry
 * that id and version, so a release pinning `credits@1` cannot silently run another document.
 * @throws WardenError `POLICY_INVALID` when the file cannot be read, is not JSON, or fails validation
 *   (`details` holds the zod issues).
 */
export async function loadPolicy(path: string): Promise<PolicyDocument> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new WardenError("POLICY_INVALID", `Policy ${path} cannot be read`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new WardenError("POLICY_INVALID", `Policy ${path} is not valid JSON`, { cause: error });
  }
  const doc = parsePolicy(raw, path);

  const named = FILE_NAME_PATTERN.exec(basename(path));
  if (named !== null && (named[1] !== doc.id || Number(named[2]) !== doc.version)) {
    throw new WardenError(
      "POLICY_INVALID",
      `Policy ${path} contains ${doc.id}@${doc.version}, not ${named[1]}@${named[2]} as its file name says`,
      { details: { file: basename(path), id: doc.id, version: doc.version } },
    );
  }
  return doc;
}

/**
 * Reads, validates and compiles a policy file into an engine.
 * @example const policy = await loadPolicyEngine("policies/credits@1.json"); // policy.ref === "credits@1"
 */
export async function loadPolicyEngine(path: string): Promise<PolicyEngine> {
  return createPolicyEngine(await loadPolicy(path));
}
