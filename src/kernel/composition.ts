import type { OfflineHeuristics } from "../model/offline-heuristics.js";
import type { ToolDefinition } from "../tools/types.js";
import type { FixtureDefinition } from "./fixture.js";
import type { CustomerNotices } from "./notice-texts.js";
import type { AgentDefinition, DenialTexts, Pack, RouteChoice, WorkflowDefinition } from "./pack.js";

/**
 * The packs of one runtime, put together: every tool, workflow and agent, one router over all of them. The graph
 * is wired from it and the nodes consult it (through `GraphDeps`), so the core names no domain.
 */
export interface Composition {
  readonly packs: readonly Pack[];
  readonly tools: readonly ToolDefinition[];
  readonly workflows: readonly WorkflowDefinition[];
  readonly agents: readonly AgentDefinition[];
  /** Where the releases, prompts, policies, datasets and seeds are read from. */
  readonly root: string;
  /** The packs' rules in sequence; the first agent when none matches. */
  route(goal: string, context: Record<string, unknown> | undefined): RouteChoice;
  /** The first pack rule that claims the request; undefined when none does (the model or the default agent decides). */
  match(goal: string, context: Record<string, unknown> | undefined): RouteChoice | undefined;
  /** The agent that takes what no rule claims, and what a switched-off workflow falls back to. */
  readonly defaultAgent: string;
  /** The first release a pack declares: what a tenant runs before any activation (unless configured). */
  readonly defaultRelease: string | undefined;
  workflowOf(node: string): WorkflowDefinition | undefined;
  /** The denial texts of the pack that owns `tool`, if it declares any. */
  denialsFor(tool: string): DenialTexts | undefined;
  /** The customer notices of the pack a release belongs to (the one listing it in `releases`, else by name: `shop@2` → `shop`). */
  noticesFor(release: string): Partial<CustomerNotices> | undefined;
  /** The packs' offline-model heuristics, pack by pack: what the offline model of a release plans with. */
  readonly offline: readonly OfflineHeuristics[];
  /** Every pack's eval fixture steps by name. */
  readonly fixtures: ReadonlyMap<string, FixtureDefinition<any>>;
}

export function composePacks(packs: readonly Pack[]): Composition {
  if (packs.length === 0) throw new TypeError("composePacks: at least one pack is required (warden.config.ts declares them)");
  const roots = new Set(packs.map((pack) => pack.root));
  // One data folder for now: release ids are looked up in it. Packs with folders of their own need ids per pack.
  if (roots.size > 1) throw new TypeError(`composePacks: packs must share one data folder for now (got ${[...roots].join(", ")})`);
  const seen = new Map<string, string>();
  const claim = (kind: string, name: string, pack: string) => {
    const owner = seen.get(`${kind}:${name}`);
    if (owner !== undefined) throw new TypeError(`composePacks: ${kind} ${name} is declared by both ${owner} and ${pack}`);
    seen.set(`${kind}:${name}`, pack);
  };
  const toolOwner = new Map<string, Pack>();
  for (const pack of packs) {
    for (const tool of pack.tools) {
      claim("tool", tool.name, pack.name);
      toolOwner.set(tool.name, pack);
    }
    for (const route of [...pack.workflows, ...pack.agents]) claim("route", route.node, pack.name);
    for (const name of Object.keys(pack.fixtures ?? {})) claim("fixture", name, pack.name);
  }
  const fixtures = new Map(packs.flatMap((pack) => Object.entries(pack.fixtures ?? {})));
  const workflows = packs.flatMap((pack) => pack.workflows);
  const agents = packs.flatMap((pack) => pack.agents);
  const defaultAgent = agents[0]!.node;
  const nodes = new Set([...workflows, ...agents].map((route) => route.node));
  const match = (goal: string, context: Record<string, unknown> | undefined): RouteChoice | undefined => {
    for (const pack of packs) {
      const choice = pack.router?.(goal, context);
      // A router naming a route nobody declared is a pack bug; the request still gets an answer from the agent.
      if (choice && nodes.has(choice.route)) return choice;
    }
    return undefined;
  };
  return Object.freeze({
    packs,
    tools: packs.flatMap((pack) => pack.tools),
    workflows,
    agents,
    root: [...roots][0]!,
    defaultAgent,
    defaultRelease: packs.find((pack) => (pack.releases?.length ?? 0) > 0)?.releases?.[0],
    route: (goal, context) => match(goal, context) ?? { route: defaultAgent, reason: "open-ended request" },
    match,
    workflowOf: (node) => workflows.find((workflow) => workflow.node === node),
    denialsFor: (tool) => toolOwner.get(tool)?.denials,
    // The pack that declares the release owns its wording; a release no pack declares goes by its name (`shop@2` → shop).
    noticesFor: (release) => (packs.find((pack) => pack.releases?.includes(release)) ?? packs.find((pack) => pack.name === release.split("@")[0]))?.notices,
    fixtures,
    offline: packs.flatMap((pack) => (pack.offline ? [pack.offline] : [])),
  } satisfies Composition);
}
