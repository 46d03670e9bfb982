import { z } from "zod";
import type { ToolDefinition } from "./types.js";

/** A tool as a model sees it: name, description and a JSON Schema of its arguments. */
export interface ToolJsonSchema {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** The OpenAI function-tool shape, accepted as is by `model.bindTools([...])` in @langchain/core. */
export interface ModelTool {
  type: "function";
  function: ToolJsonSchema;
}

/**
 * The JSON Schema of a tool's input for model binding. Uses the input side of the schema (what the model must
 * send: defaults are optional) and drops `$schema`, which function-calling APIs do not expect.
 */
export function toolJsonSchema(tool: ToolDefinition): ToolJsonSchema {
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.input, { io: "input" }) as Record<string, unknown>;
  return { name: tool.name, description: tool.description, parameters };
}

/**
 * A tool in the OpenAI function-tool shape. A bare `{ name, description, parameters }` is NOT recognised by
 * @langchain/core's `convertToOpenAITool` (it passes unknown objects through untouched), so bind this shape.
 */
export function toModelTool(tool: ToolDefinition): ModelTool {
  return { type: "function", function: toolJsonSchema(tool) };
}
