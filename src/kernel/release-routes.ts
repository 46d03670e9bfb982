import { WardenError } from "../errors.js";
import type { Composition } from "./composition.js";
import type { AgentDefinition, WorkflowDefinition } from "./pack.js";
import { EVERY_AGENT, type Release } from "./release.js";

/** A listed agent with its definition and the release's step bound for it. */
export interface ReleaseAgentRoute {
  node: string;
  description: string;
  max_steps: number;
  definition: AgentDefinition;
}

/**
 * The routes one release may take, resolved against the composition: its listed workflows and agents. The route
 * node and the runtime's start check route only here; `workflowOf` still knows every workflow of the composition,
 * so a rule naming one the release does not list is recognised (and sent to the agent) rather than lost.
 */
export interface ReleaseRoutes {
  release: string;
  workflows: readonly WorkflowDefinition[];
  /** As the release lists them; the first is `defaultAgent`. */
  agents: readonly ReleaseAgentRoute[];
  /** Takes what no rule (or model) claims, and what an unlisted or switched-off workflow falls back to. */
  defaultAgent: string;
  /** The release's `model_routing`: a request no rule claims may be classified by the model. */
  modelRouting: boolean;
  /** Whether the release lists this route (a workflow's or an agent's node name). */
  lists(node: string): boolean;
  /** Any workflow of the composition by node name, listed or not. */
  workflowOf(node: string): WorkflowDefinition | undefined;
  /** The step bound of a listed agent; undefined for a workflow or an unlisted route. */
  maxStepsOf(node: string): number | undefined;
}

/**
 * Resolves a release's `workflows` (ids) and `agents` (node names, `*` for every agent it does not name) against
 * the composition's packs.
 * @throws WardenError RELEASE_INVALID naming each workflow id or agent no pack declares, or when no agent is left.
 */
export function resolveReleaseRoutes(release: Release, composition: Composition): ReleaseRoutes {
  const unknown: string[] = [];
  const workflows = release.workflows.flatMap((id) => {
    const workflow = composition.workflows.find((candidate) => candidate.id === id);
    if (!workflow) unknown.push(`workflow ${id}`);
    return workflow ? [workflow] : [];
  });
  const named = new Set(release.agents.map((agent) => agent.node));
  const agents = release.agents.flatMap((entry): ReleaseAgentRoute[] => {
    const definitions = entry.node === EVERY_AGENT ? composition.agents.filter((agent) => !named.has(agent.node)) : composition.agents.filter((agent) => agent.node === entry.node);
    if (definitions.length === 0 && entry.node !== EVERY_AGENT) unknown.push(`agent ${entry.node}`);
    return definitions.map((definition) => ({ node: definition.node, description: definition.description, max_steps: entry.max_steps, definition }));
  });
  if (unknown.length > 0) {
    const declared = [...composition.workflows.map((workflow) => workflow.id), ...composition.agents.map((agent) => agent.node)].join(", ");
    throw new WardenError("RELEASE_INVALID", `Release ${release.id} lists ${unknown.join(" and ")}, which no pack declares (declared: ${declared}).`, {
      details: { release: release.id, unknown },
    });
  }
  if (agents.length === 0) throw new WardenError("RELEASE_INVALID", `Release ${release.id} lists no agent the composition declares.`, { details: { release: release.id } });
  const maxSteps = new Map(agents.map((agent) => [agent.node, agent.max_steps]));
  const listed = new Set([...workflows.map((workflow) => workflow.node), ...maxSteps.keys()]);
  return Object.freeze({
    release: release.id,
    workflows,
    agents,
    defaultAgent: agents[0]!.node,
    modelRouting: release.model_routing,
    lists: (node: string) => listed.has(node),
    workflowOf: (node: string) => composition.workflowOf(node),
    maxStepsOf: (node: string) => maxSteps.get(node),
  });
}
