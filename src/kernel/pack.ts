import { VERSIONED_ID_PATTERN } from "../contracts/identifiers.js";
import type { OfflineHeuristics } from "../model/offline-heuristics.js";
import type { ToolDefinition } from "../tools/types.js";
import type { Queryable } from "../store/db.js";
import type { DepsProvider } from "./deps.js";
import type { PackDemo } from "./pack-demo.js";
import type { CustomerNotices } from "./notice-texts.js";
import type { FixtureDefinition } from "./fixture.js";

/**
 * A compiled-or-not LangGraph graph as far as the runtime graph needs it: a node that takes the runtime state's
 * narrow input and returns its outcome. Kept structural so a pack is free to build its graph as it likes.
 */
export interface GraphBuilder {
  compile(options?: { name?: string }): unknown;
}

/** Where a request goes and why (`route.decided`). `route` is a workflow's or an agent's node name. */
export interface RouteChoice {
  route: string;
  reason: string;
}

/**
 * A pack's router: deterministic rules over the goal and the request's context. Returns undefined when no rule
 * matches: the request then goes to the pack's first agent (open-ended work).
 */
export type Router = (goal: string, context: Record<string, unknown> | undefined) => RouteChoice | undefined;

/** A deterministic workflow: a subgraph the runtime graph routes to. */
export interface WorkflowDefinition {
  /** Its node in the runtime graph, and the route name in traces (`route.decided`). */
  node: string;
  /** Versioned id: what a release names and what a `workflow` rollback switch targets (`return_workflow@1`). */
  id: string;
  description: string;
  /** Builds the uncompiled subgraph; it reads deps lazily through `getDeps`. */
  build(getDeps: DepsProvider): GraphBuilder;
}

/** An agent: open-ended work, model ⇄ policy ⇄ tools, under the release's prompt, model and tools. */
export interface AgentDefinition {
  node: string;
  description: string;
  build(getDeps: DepsProvider): GraphBuilder;
}

/**
 * How the customer hears of a call that policy denied at the moment of its effect. `notice`: the neutral text
 * for a rule without `customer_reason` (default: a generic one). `draft`: which drafting tool to call with which
 * arguments, so the answer rests on a tool result; without one the runtime answers in a plain sentence.
 */
export interface DenialTexts {
  notice?(call: { name: string; args: unknown }): string | undefined;
  draft?(call: { name: string; args: unknown }, customerReason: string): { tool: string; args: Record<string, unknown> } | undefined;
}

export interface PackSpec {
  /** Lower-case name, e.g. `shop`. */
  name: string;
  description?: string;
  /** Folder of the pack's data files (`releases/`, `prompts/`, `policies/`, `evals/`, `seeds/`), readable without the code. */
  root: string;
  tools: readonly ToolDefinition[];
  workflows?: WorkflowDefinition[];
  agents: AgentDefinition[];
  router?: Router;
  denials?: DenialTexts;
  /** The core's neutral customer notices in the domain's words, for runs under the pack's releases (`<pack>@<n>`). */
  notices?: Partial<CustomerNotices>;
  /** Script steps its eval cases may use to add rows beyond the seed (`{"do": "<name>", …}`). */
  fixtures?: Readonly<Record<string, FixtureDefinition<any>>>;
  /** Its release ids (`releases/<id>.json` in `root`); the first is what a tenant runs before any activation. */
  releases?: readonly string[];
  /** Folder of its numbered SQL migrations (`001_<name>.sql`, ...): applied after the core's, recorded under `name`. */
  migrations?: string;
  /** Loads its demo data (the tenants too) into an empty database, in the seeding transaction. */
  seed?: (tx: Queryable) => Promise<void>;
  /** The scenarios `warden demo` plays on the seed. */
  demo?: PackDemo;
  /** What the offline model knows of the domain: run before its generic planner (see `OfflineHeuristics`). */
  offline?: OfflineHeuristics;
}

export interface Pack extends Readonly<Required<Omit<PackSpec, "description" | "router" | "denials" | "offline" | "fixtures" | "releases" | "notices" | "migrations" | "seed" | "demo">>> {
  readonly migrations?: string;
  readonly seed?: (tx: Queryable) => Promise<void>;
  readonly demo?: PackDemo;
  readonly notices?: Partial<CustomerNotices>;
  readonly fixtures?: Readonly<Record<string, FixtureDefinition<any>>>;
  readonly releases?: readonly string[];
  readonly description?: string;
  readonly router?: Router;
  readonly denials?: DenialTexts;
  readonly offline?: OfflineHeuristics;
}

const NAME = /^[a-z][a-z0-9_-]{0,39}$/;
const NODE = /^[a-z][a-z0-9_]{0,63}$/;
const WORKFLOW_ID = /^[a-z][a-z0-9_]*@\d+$/;
/** Node names of the runtime graph itself: a pack's route must not shadow one. */
const RESERVED_NODES = new Set(["intake", "memory_read", "route", "answer_check", "memory_write", "evaluate"]);
/** The eval runner's own script steps (evals/dataset.ts): a fixture must not shadow one. */
const RESERVED_STEPS = new Set(["approve", "reject", "grant_consent", "withdraw_consent", "set_flag", "fail_tool", "fixture"]);

function invalid(name: string, problem: string): never {
  // A malformed pack is a programming error found when the composition root is imported.
  throw new TypeError(`definePack(${JSON.stringify(name)}): ${problem}`);
}

/** Declares a workflow (see `WorkflowDefinition`). */
export function defineWorkflow(spec: WorkflowDefinition): WorkflowDefinition {
  return Object.freeze({ ...spec });
}

/** Declares an agent (see `AgentDefinition`). */
export function defineAgent(spec: AgentDefinition): AgentDefinition {
  return Object.freeze({ ...spec });
}

/**
 * Declares a pack: a domain's tools, workflows, agents, router and data. Checked at once: unique tool and route
 * names, workflow ids of the form `name@version`, at least one agent (where open-ended requests go).
 *
 * @example
 * export const inventoryPack = definePack({
 *   name: "inventory", root: fileURLToPath(new URL("./data/", import.meta.url)),
 *   tools: [checkStock], agents: [defineAgent({ node: "inventory_agent", description: "…", build: buildAgentGraph })],
 * });
 */
export function definePack(spec: PackSpec): Pack {
  const name = String(spec.name);
  if (!NAME.test(name)) invalid(name, "name must be lower-case letters, digits, _ or -");
  if (typeof spec.root !== "string" || spec.root === "") invalid(name, "root (the folder of the pack's data files) is required");
  if (spec.migrations !== undefined && (typeof spec.migrations !== "string" || spec.migrations === "")) invalid(name, "migrations must be a folder path");
  // A pack's migrations are recorded under its name, and the core's under `warden`.
  if (name === "warden") invalid(name, "warden is the core's own name (its migrations' scope)");
  const workflows = spec.workflows ?? [];
  if (!Array.isArray(spec.agents) || spec.agents.length === 0) invalid(name, "declare at least one agent");
  const nodes = new Set<string>();
  for (const route of [...workflows, ...spec.agents]) {
    if (!NODE.test(route.node)) invalid(name, `route ${JSON.stringify(route.node)} must match ${NODE}`);
    if (RESERVED_NODES.has(route.node)) invalid(name, `route ${route.node} is a node of the runtime graph`);
    if (nodes.has(route.node)) invalid(name, `route ${route.node} is declared twice`);
    if (typeof route.build !== "function") invalid(name, `route ${route.node} has no build function`);
    nodes.add(route.node);
  }
  for (const workflow of workflows) {
    if (!WORKFLOW_ID.test(workflow.id) || !workflow.id.startsWith(`${workflow.node}@`)) {
      invalid(name, `workflow ${workflow.node} needs an id of the form ${workflow.node}@<version>`);
    }
  }
  const tools = new Set<string>();
  for (const release of spec.releases ?? []) {
    if (!VERSIONED_ID_PATTERN.test(release)) invalid(name, `release ${JSON.stringify(release)} must be of the form name@version`);
  }
  for (const [step, fixture] of Object.entries(spec.fixtures ?? {})) {
    if (!NODE.test(step) || RESERVED_STEPS.has(step)) invalid(name, `fixture ${JSON.stringify(step)} must match ${NODE} and not be one of ${[...RESERVED_STEPS].join(", ")}`);
    if (typeof fixture?.insert !== "function") invalid(name, `fixture ${step} has no insert function`);
  }
  for (const tool of spec.tools) {
    if (tools.has(tool.name)) invalid(name, `tool ${tool.name} is declared twice`);
    tools.add(tool.name);
  }
  // Offline heuristics plan only the pack's own tools: another pack's are that pack's to plan.
  for (const tool of spec.offline?.tools ?? []) {
    if (!tools.has(tool)) invalid(name, `offline heuristics claim tool ${tool}, which the pack does not declare`);
  }
  return Object.freeze({ ...spec, workflows: Object.freeze([...workflows]) as WorkflowDefinition[], agents: Object.freeze([...spec.agents]) as AgentDefinition[] });
}
