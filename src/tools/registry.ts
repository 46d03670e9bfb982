import { WardenError } from "../errors.js";
import { toModelTool, type ModelTool } from "./tool-json-schema.js";
import type { ToolDefinition } from "./types.js";

/** The tools a run may use, by name. Immutable: `subset` returns a new registry. */
export interface ToolRegistry {
  get(name: string): ToolDefinition | undefined;
  has(name: string): boolean;
  /** Definitions in registration sequence. */
  list(): ToolDefinition[];
  names(): string[];
  /**
   * Only the named tools (a release's enabled tools). An unknown name throws `RELEASE_INVALID`: a typo in a
   * release must not silently disable a tool.
   */
  subset(names: Iterable<string>): ToolRegistry;
  /** All tools in the shape `model.bindTools(...)` accepts. */
  modelTools(): ModelTool[];
}

/**
 * Builds a registry from tool definitions (see `defineTool`). Duplicate names throw a TypeError.
 *
 * @example
 * const registry = createToolRegistry(pack.tools).subset(release.tools);
 * const model = chatModel.bindTools(registry.modelTools());
 */
export function createToolRegistry(tools: Iterable<ToolDefinition>): ToolRegistry {
  const byName = new Map<string, ToolDefinition>();
  for (const tool of tools) {
    if (byName.has(tool.name)) throw new TypeError(`duplicate tool name: ${tool.name}`);
    byName.set(tool.name, tool);
  }
  let modelTools: ModelTool[] | undefined;
  return {
    get: (name) => byName.get(name),
    has: (name) => byName.has(name),
    list: () => [...byName.values()],
    names: () => [...byName.keys()],
    subset(names) {
      const picked: ToolDefinition[] = [];
      for (const name of new Set(names)) {
        const tool = byName.get(name);
        if (!tool) throw new WardenError("RELEASE_INVALID", `unknown tool "${name}" (registered: ${[...byName.keys()].join(", ")})`);
        picked.push(tool);
      }
      return createToolRegistry(picked);
    },
    modelTools() {
      // Converting zod to JSON Schema is not free and the result never changes: compute once per registry.
      modelTools ??= [...byName.values()].map(toModelTool);
      return modelTools.map((tool) => ({ type: tool.type, function: { ...tool.function } }));
    },
  };
}
