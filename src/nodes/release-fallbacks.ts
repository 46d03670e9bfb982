import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { WardenError } from "../errors.js";
import { promptVersion, type NodeKit } from "../kernel/node-kit.js";

/**
 * The system prompt for this step: the release's, or, when a `prompt` switch is on for it, the newest earlier
 * version that is not switched off too (recorded as `flag.applied`). Throws ROUTE_DISABLED when none is left.
 */
export function effectivePrompt(kit: NodeKit): string {
  const current = kit.loaded.release.prompt;
  const flag = kit.flags.find("prompt", current);
  if (!flag) return kit.loaded.prompt;
  const fallback = kit.loaded.previousPrompts.find((previous) => !kit.flags.find("prompt", previous.path));
  if (!fallback) {
    kit.flagApplied(flag, "no earlier prompt version to fall back to; run stopped");
    throw new WardenError("ROUTE_DISABLED", `Prompt ${current} is switched off and no earlier version is available.`);
  }
  kit.flagApplied(flag, `prompt fell back to ${promptVersion(fallback.path)}`);
  return fallback.text;
}

/**
 * The chat model for this step: the release's, or its `fallback_model` when a `model` switch is on for the
 * release's model name (recorded as `flag.applied`). Undefined when switched off with no fallback: the caller
 * decides (the agent cannot work without one; the workflow keeps its template wording).
 */
export function effectiveModel(kit: NodeKit): BaseChatModel | undefined {
  const name = kit.loaded.release.model.name;
  const flag = kit.flags.find("model", name);
  if (!flag) return kit.loaded.model;
  const fallbackName = kit.loaded.release.fallback_model?.name;
  if (!kit.loaded.fallbackModel || (fallbackName !== undefined && kit.flags.find("model", fallbackName))) {
    kit.flagApplied(flag, "no fallback model; model not called");
    return undefined;
  }
  kit.flagApplied(flag, `model fell back to ${fallbackName ?? "the configured fallback"}`);
  return kit.loaded.fallbackModel;
}
