import type { Comparison, Condition, Primitive } from "./condition-schema.js";

/** What rule conditions and reason templates read: `subject`, `facts`, `params` and `ctx`. */
export type PolicyScope = Readonly<Record<string, unknown>>;

/**
 * Reads a dotted path (`subject.args.amount`) from the scope. Only own properties are followed, so a path can
 * never reach `constructor`, `__proto__` or other inherited members; anything absent is `undefined`.
 */
export function resolvePath(scope: PolicyScope, path: string): unknown {
  let current: unknown = scope;
  for (const segment of path.split(".")) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function isPrimitive(value: unknown): value is Primitive {
  return typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && !Number.isNaN(value));
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && !Number.isNaN(value);
}

/*
 * Every comparison is false when a side is missing or of the wrong type, so a rule never matches by accident
 * on absent data; a policy that must fail closed says so with an explicit `missing` rule.
 */
function compare(comparison: Comparison, scope: PolicyScope): boolean {
  const left = resolvePath(scope, comparison.path);
  switch (comparison.op) {
    case "exists":
      return isPresent(left);
    case "missing":
      return !isPresent(left);
  }
  const right = comparison.ref === undefined ? comparison.value : resolvePath(scope, comparison.ref);
  switch (comparison.op) {
    case "eq":
      return isPrimitive(left) && isPrimitive(right) && left === right;
    case "neq":
      return isPrimitive(left) && isPrimitive(right) && left !== right;
    case "gt":
      return isNumber(left) && isNumber(right) && left > right;
    case "gte":
      return isNumber(left) && isNumber(right) && left >= right;
    case "lt":
      return isNumber(left) && isNumber(right) && left < right;
    case "lte":
      return isNumber(left) && isNumber(right) && left <= right;
    case "in":
      return isPrimitive(left) && Array.isArray(right) && right.includes(left);
  }
}

/** Evaluates a condition against the scope. Throws only if reading the scope throws (e.g. a getter). */
export function evaluateCondition(condition: Condition, scope: PolicyScope): boolean {
  if ("all" in condition) return condition.all.every((child) => evaluateCondition(child, scope));
  if ("any" in condition) return condition.any.some((child) => evaluateCondition(child, scope));
  if ("not" in condition) return !evaluateCondition(condition.not, scope);
  return compare(condition, scope);
}
