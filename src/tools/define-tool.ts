import { z } from "zod";
import type { SideEffect, ToolDefinition, ToolSpec } from "./types.js";
import { TOOL_EXTRA_POLICY_POINTS } from "../contracts/policy-points.js";
import { SNAKE_CASE_NAME_PATTERN } from "../contracts/identifiers.js";

const SIDE_EFFECTS: readonly SideEffect[] = ["none", "read", "write", "irreversible"];

function invalid(name: string, problem: string): never {
  // A bad spec is a programming error found at import time, not a runtime condition a client sees.
  throw new TypeError(`defineTool(${JSON.stringify(name)}): ${problem}`);
}

function checkSpec(spec: ToolSpec<z.ZodType, z.ZodType>): void {
  const name = String(spec.name);
  if (!SNAKE_CASE_NAME_PATTERN.test(name)) invalid(name, `name must match ${SNAKE_CASE_NAME_PATTERN}`);
  if (typeof spec.description !== "string" || spec.description.trim() === "") invalid(name, "description is required");
  if (!(spec.input instanceof z.ZodType)) invalid(name, "input must be a zod schema");
  if (!(spec.output instanceof z.ZodType)) invalid(name, "output must be a zod schema");
  if (!SIDE_EFFECTS.includes(spec.sideEffect)) invalid(name, `sideEffect must be one of ${SIDE_EFFECTS.join(", ")}`);
  if (!Array.isArray(spec.permissions) || spec.permissions.some((p) => typeof p !== "string" || p === "")) {
    invalid(name, "permissions must be an array of non-empty strings");
  }
  if (spec.timeoutMs !== undefined && !(Number.isFinite(spec.timeoutMs) && spec.timeoutMs > 0)) {
    invalid(name, "timeoutMs must be a positive number");
  }
  const retries = spec.retry?.retries;
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0)) invalid(name, "retry.retries must be an integer >= 0");
  const backoff = spec.retry?.backoffMs;
  if (backoff !== undefined && !(Number.isFinite(backoff) && backoff >= 0)) invalid(name, "retry.backoffMs must be >= 0");
  if (spec.cost !== undefined && !(Number.isFinite(spec.cost) && spec.cost >= 0)) invalid(name, "cost must be >= 0");
  for (const point of spec.policyPoints ?? []) {
    if (!(TOOL_EXTRA_POLICY_POINTS as readonly string[]).includes(point)) invalid(name, `unknown policy point ${point}`);
  }
  if (typeof spec.execute !== "function") invalid(name, "execute must be a function");
  if (spec.policyFacts !== undefined && typeof spec.policyFacts !== "function") invalid(name, "policyFacts must be a function");
  if (spec.serializeBy !== undefined && typeof spec.serializeBy !== "function") invalid(name, "serializeBy must be a function");
  if (spec.proposesMemory !== undefined && typeof spec.proposesMemory !== "function") invalid(name, "proposesMemory must be a function");
  // Models receive the input as a JSON Schema object; fail here rather than at the first model call.
  let parameters: unknown;
  try {
    parameters = z.toJSONSchema(spec.input, { io: "input" });
  } catch (error) {
    invalid(name, `input cannot be expressed as JSON Schema (${(error as Error).message})`);
  }
  if ((parameters as { type?: unknown }).type !== "object") invalid(name, "input must be an object schema (function-call arguments)");
}

/**
 * Defines a tool: a typed, validated spec the executor can run (input/output validation, permissions,
 * timeout, retry, effect ledger). Throws a TypeError when the spec is malformed. The returned definition is frozen.
 *
 * @example
 * export const lookupOrder = defineTool({
 *   name: "check_stock", description: "Units in stock for a SKU.", sideEffect: "read", permissions: ["stock:read"],
 *   input: z.object({ sku: z.string() }), output: z.object({ units: z.number() }),
 *   async execute(input, ctx) { ... },
 * });
 */
export function defineTool<I extends z.ZodType, O extends z.ZodType>(spec: ToolSpec<I, O>): ToolDefinition {
  // ToolSpec is contravariant in I through execute/policyFacts/serializeBy; the executor only calls them with `input.parse` output.
  const definition = spec as unknown as ToolDefinition;
  checkSpec(definition);
  return Object.freeze({
    ...definition,
    permissions: Object.freeze([...definition.permissions]) as string[],
    ...(definition.policyPoints ? { policyPoints: Object.freeze([...definition.policyPoints]) as ToolDefinition["policyPoints"] } : {}),
    ...(definition.retry ? { retry: Object.freeze({ ...definition.retry }) } : {}),
  });
}
