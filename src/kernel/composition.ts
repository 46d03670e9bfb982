import type { ToolDefinition } from "../tools/types.js";
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
  /** The packs' rules in order; the first agent when none matches. */
  route(goal: string, context: Record<string, unknown> | undefined): RouteChoice;
  /** The agent that takes what no rule claims, and what a switched-off workflow falls back to. */
  readonly defaultAgent: string;
  workflowOf(node: string): WorkflowDefinition | undefined;
  /** The denial texts of the pack that owns `tool`, if it declares any. */
  denialsFor(tool: string): DenialTexts | undefined;
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
  }
  const workflows = packs.flatMap((pack) => pack.workflows);
  const agents = packs.flatMap((pack) => pack.agents);
  const defaultAgent = agents[0]!.node;
  const nodes = new Set([...workflows, ...agents].map((route) => route.node));
  return Object.freeze({
    packs,
    tools: packs.flatMap((pack) => pack.tools),
    workflows,
    agents,
    root: [...roots][0]!,
    defaultAgent,
    route(goal, context) {
      for (const pack of packs) {
        const choice = pack.router?.(goal, context);
        // A router naming a route nobody declared is a pack bug; the request still gets an answer from the agent.
        if (choice && nodes.has(choice.route)) return choice;
      }
      return { route: defaultAgent, reason: "open-ended request" };
    },
    workflowOf: (node) => workflows.find((workflow) => workflow.node === node),
    denialsFor: (tool) => toolOwner.get(tool)?.denials,
  } satisfies Composition);
}
