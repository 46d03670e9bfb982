import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { WardenError } from "../errors.js";
import { parsePolicy } from "../policy/policy-schema.js";
import { loadRelease, PROJECT_ROOT, type Release } from "../kernel/release.js";
import type { ToolDefinition } from "../tools/types.js";
import { datasetPath } from "./dataset-files.js";
import { canonicalJson } from "../contracts/canonical-json.js";

/** The packages whose upgrade can change a run's behaviour: compared like any other change. */
const TRACKED_PACKAGES = /^(@langchain\/[^/]+|langsmith|zod)$/;

/** What a release's behaviour depends on, each part hashed on its own so a report can say what changed. */
export interface ContentParts {
  release: string;
  prompt: string;
  policy: string;
  tools: string;
  /** The workflows and agents the release lists (with their step bounds) and whether the model may route. */
  routes: string;
  memory: string;
  dataset: string;
  packages: string;
}

export interface ContentHash {
  /** `sha256:<hex>` over every part. */
  hash: string;
  parts: ContentParts;
  /** The installed versions that went into `parts.packages`, for the report and the experiment metadata. */
  packages: Record<string, string>;
  dataset: string;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function readText(root: string, path: string): string {
  try {
    return readFileSync(join(root, path), "utf8");
  } catch (error) {
    throw new WardenError("RELEASE_INVALID", `${path} cannot be read`, { cause: error });
  }
}

/** A tool as far as behaviour goes: what the model is told, what it may send and get back, what it may do. */
export function toolManifest(tool: ToolDefinition): Record<string, unknown> {
  return {
    name: tool.name,
    description: tool.description,
    input: z.toJSONSchema(tool.input, { io: "input", unrepresentable: "any" }),
    output: z.toJSONSchema(tool.output, { io: "output", unrepresentable: "any" }),
    side_effect: tool.sideEffect,
    permissions: [...tool.permissions].sort(),
    policy_points: [...(tool.policyPoints ?? [])].sort(),
  };
}

/** Installed versions of the tracked packages, read from the lock file (what `npm ci` installs). */
export function lockedVersions(root: string): Record<string, string> {
  const lock = JSON.parse(readText(root, "package-lock.json")) as { packages?: Record<string, { version?: string }> };
  const versions: Record<string, string> = {};
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    // Top-level installs only: nested copies are what those packages resolve for themselves.
    const name = path.startsWith("node_modules/") ? path.slice("node_modules/".length) : undefined;
    if (name && !name.includes("/node_modules/") && TRACKED_PACKAGES.test(name) && entry.version) versions[name] = entry.version;
  }
  return Object.fromEntries(Object.entries(versions).sort(([left], [right]) => (left < right ? -1 : 1)));
}

/** The dataset a release is gated on: its `eval.dataset`, else `<release name>@1`. */
export function datasetOf(release: Release): string {
  return release.eval?.dataset ?? `${release.id.split("@")[0]}@1`;
}

export interface ContentHashOptions {
  /** Where the release's files are (default: the project root). */
  root?: string;
  /** The tool definitions the runtime registers (its packs' tools): their manifests are hashed. */
  tools: readonly ToolDefinition[];
  /** Hash against this dataset instead of the release's own (`warden eval --dataset`). */
  dataset?: string;
}

/**
 * The hash of everything that can change a release's behaviour: the release file, its prompt, its policy, the
 * manifests of its tools, the workflows and agents it lists, the memory contract (retention table), the dataset it is gated on,
 * and the installed versions of @langchain/*, langsmith and zod. An eval verdict is recorded against this hash,
 * so editing any of these (or upgrading a framework) needs a new passing eval before the release can go live.
 */
export function releaseContentHash(releaseOrId: Release | string, options: ContentHashOptions): ContentHash {
  const root = options.root ?? PROJECT_ROOT;
  const release = typeof releaseOrId === "string" ? loadRelease(releaseOrId, root) : releaseOrId;
  const policyText = readText(root, release.policy);
  const policy = parsePolicy(JSON.parse(policyText), release.policy);
  const byName = new Map(options.tools.map((tool) => [tool.name, tool]));
  const tools = release.tools.map((name) => {
    const tool = byName.get(name);
    if (!tool) throw new WardenError("RELEASE_INVALID", `Release ${release.id} enables tool ${name}, which is not registered.`);
    return toolManifest(tool);
  });
  const retention = {
    default: (policy.params.defaults as Record<string, unknown> | undefined)?.["memory_retention_days"] ?? null,
    tenants: Object.fromEntries(Object.entries(policy.params.tenants ?? {}).map(([tenant, params]) => [tenant, (params as Record<string, unknown>)["memory_retention_days"] ?? null])),
  };
  const dataset = options.dataset ?? datasetOf(release);
  const packages = lockedVersions(root);
  const parts: ContentParts = {
    release: sha256(readText(root, `releases/${release.id}.json`)),
    prompt: sha256(readText(root, release.prompt)),
    policy: sha256(policyText),
    tools: sha256(canonicalJson(tools)),
    routes: sha256(canonicalJson({ workflows: release.workflows, agents: release.agents, model_routing: release.model_routing })),
    memory: sha256(canonicalJson(retention)),
    dataset: sha256(readText(root, datasetPath(dataset))),
    packages: sha256(canonicalJson(packages)),
  };
  return { hash: `sha256:${sha256(canonicalJson(parts))}`, parts, packages, dataset };
}
