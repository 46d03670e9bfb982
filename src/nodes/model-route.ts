import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, SystemMessage, type AIMessage } from "@langchain/core/messages";
import { isGraphInterrupt } from "@langchain/langgraph";
import { z } from "zod";
import type { NodeKit } from "../kernel/node-kit.js";
import type { ReleaseRoutes } from "../kernel/release-routes.js";
import { modelRequestName, modelSystemName } from "../model/model-identity.js";
import { effectiveModel } from "./release-fallbacks.js";

/** Who picked a route (`route.decided.by`): a pack's rule, the release's model, or nobody (the default agent). */
export type RouteDecider = "rule" | "model" | "default";

export interface ModelRouteChoice {
  route: string;
  reason: string;
  by: Exclude<RouteDecider, "rule">;
}

/** A routing answer is one short call; a slow model must not hold the run for long (the agent still answers). */
const ROUTE_TIMEOUT_MS = 20_000;
const REASON_MAX = 200;
/** The structured-output function the model is told to call. */
const FUNCTION_NAME = "choose_route";

function instructions(routes: ReleaseRoutes): string {
  const lines = [...routes.workflows.map((workflow) => `- ${workflow.node}: ${workflow.description}`), ...routes.agents.map((agent) => `- ${agent.node}: ${agent.description}`)];
  return [
    "Choose the one route that should handle the request below.",
    "Workflows are deterministic procedures: pick one only when the request is clearly what it handles; otherwise pick an agent.",
    "Routes:",
    ...lines,
    `Answer with the route's name and a one-sentence reason. When unsure, choose ${routes.defaultAgent}.`,
  ].join("\n");
}

function fallback(routes: ReleaseRoutes, why: string): ModelRouteChoice {
  return { route: routes.defaultAgent, reason: `open-ended request; ${why}`, by: "default" };
}

/**
 * Classifies a request no pack rule claimed with the release's model, restricted to the routes the release lists
 * (a zod enum through `withStructuredOutput`). Only when the release turns `model_routing` on, lists more than one
 * route and its model is a real one: the offline model never routes. Never fails the run: a failed call or an
 * answer outside the enum goes to the release's first agent, with a reason that says so. Undefined when model
 * routing does not apply (the caller routes to the default agent as it always did).
 */
export async function modelRoute(kit: NodeKit, goal: string, routes: ReleaseRoutes): Promise<ModelRouteChoice | undefined> {
  const names = [...routes.workflows.map((workflow) => workflow.node), ...routes.agents.map((agent) => agent.node)];
  if (!routes.modelRouting || names.length < 2) return undefined;
  // The offline model's keyword heuristics are no classifier; the pack's rules already did what it could.
  if (modelSystemName(kit.loaded.model) === "warden.offline") return undefined;
  const model: BaseChatModel | undefined = effectiveModel(kit);
  if (!model) return fallback(routes, "the model is switched off");
  if (modelSystemName(model) === "warden.offline") return undefined;
  const schema = z.object({
    route: z.enum(names as [string, ...string[]]).describe("The route that should handle the request."),
    reason: z.string().describe("Why, in one short sentence."),
  });
  const started = performance.now();
  let answer: { raw: AIMessage; parsed: z.infer<typeof schema> | null };
  try {
    const classifier = model.withStructuredOutput(schema, { name: FUNCTION_NAME, method: "functionCalling", includeRaw: true });
    answer = (await classifier.invoke([new SystemMessage(instructions(routes)), new HumanMessage(goal)], {
      signal: kit.signal,
      timeout: ROUTE_TIMEOUT_MS,
    })) as typeof answer;
  } catch (error) {
    if (isGraphInterrupt(error)) throw error;
    // A run asked to stop (aborted signal) stops at its next step boundary; this step still ends normally.
    const message = error instanceof Error ? error.message : String(error);
    return fallback(routes, `the model could not route it (${message.slice(0, REASON_MAX)})`);
  }
  kit.emit("model.call", {
    "gen_ai.system": modelSystemName(model),
    "gen_ai.request.model": modelRequestName(model),
    "gen_ai.usage.input_tokens": answer.raw.usage_metadata?.input_tokens ?? 0,
    "gen_ai.usage.output_tokens": answer.raw.usage_metadata?.output_tokens ?? 0,
    latency_ms: Math.round(performance.now() - started),
    tool_calls: [],
    purpose: "route",
  });
  const parsed = answer.parsed ? schema.safeParse(answer.parsed) : undefined;
  if (!parsed?.success) {
    const named = answer.raw.tool_calls?.[0]?.args?.["route"];
    return fallback(routes, `the model's answer${typeof named === "string" ? ` (${JSON.stringify(named.slice(0, 64))})` : ""} is not one of the routes release ${routes.release} lists`);
  }
  const reason = parsed.data.reason.trim().slice(0, REASON_MAX) || "chosen by the model";
  return { route: parsed.data.route, reason, by: "model" };
}
