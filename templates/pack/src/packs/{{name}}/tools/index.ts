import type { ToolDefinition } from "warden";
import { {{camel}}Lookup } from "./lookup.js";
import { {{camel}}Update } from "./update.js";

export { {{camel}}Lookup, {{camel}}Update };

/** Every tool of the {{name}} pack; a release enables a subset (`tools` in releases/{{name}}@1.json). */
export const {{camel}}Tools: readonly ToolDefinition[] = Object.freeze([{{camel}}Lookup, {{camel}}Update]);
