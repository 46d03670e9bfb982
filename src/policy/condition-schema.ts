import { z } from "zod";

/** Roots a condition path may start with; see `buildScope` in `create-policy-engine.ts`. */
export const PATH_ROOTS = ["subject", "facts", "params", "ctx"] as const;
export type PathRoot = (typeof PATH_ROOTS)[number];

/** `root.segment.segment...`: at least one segment, so a rule never compares a whole root. */
export const PATH_PATTERN = /^(subject|facts|params|ctx)(\.[A-Za-z0-9_$-]+)+$/;

export const COMPARISON_OPS = ["eq", "neq", "gt", "gte", "lt", "lte", "in", "exists", "missing"] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

const PRESENCE_OPS: readonly ComparisonOp[] = ["exists", "missing"];
const NUMERIC_OPS: readonly ComparisonOp[] = ["gt", "gte", "lt", "lte"];

export type Primitive = string | number | boolean;

/** `{ path, op, value }` or `{ path, op, ref }`; `exists` / `missing` take neither. */
export interface Comparison {
  path: string;
  op: ComparisonOp;
  value?: Primitive | Primitive[];
  /** A second path whose value is compared instead of a literal `value`. */
  ref?: string;
}

/**
 * The condition language of policy rules: data a reviewer can read without the code.
 * @example { "all": [{ "path": "subject.args.amount", "op": "gt", "ref": "params.credit_cap" }] }
 */
export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | Comparison;

const pathSchema = z
  .string()
  .regex(PATH_PATTERN, `must be a dotted path starting with one of ${PATH_ROOTS.join(", ")}`);
const primitiveSchema = z.union([z.string(), z.number(), z.boolean()]);

/*
 * One strict object with every key optional plus cross-field checks, rather than a z.union of the four forms:
 * a union reports every branch's failure nested inside "invalid_union", which is unreadable in a policy review,
 * while this reports "Unrecognized key: alll" or "gt needs a number" at the exact path.
 */
const rawConditionSchema = z.strictObject({
  get all() {
    return z.array(conditionSchema).min(1).optional();
  },
  get any() {
    return z.array(conditionSchema).min(1).optional();
  },
  get not() {
    return conditionSchema.optional();
  },
  path: pathSchema.optional(),
  op: z.enum(COMPARISON_OPS).optional(),
  value: z.union([primitiveSchema, z.array(primitiveSchema)]).optional(),
  ref: pathSchema.optional(),
});

type RawCondition = z.output<typeof rawConditionSchema>;

function checkCondition(raw: RawCondition, ctx: z.RefinementCtx): void {
  const forms = (["all", "any", "not", "path"] as const).filter((key) => raw[key] !== undefined);
  if (forms.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message: `a condition has exactly one of "all", "any", "not" or "path" (found ${forms.length === 0 ? "none" : forms.join(", ")})`,
    });
    return;
  }
  if (forms[0] !== "path") {
    for (const key of ["op", "value", "ref"] as const) {
      if (raw[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: `"${key}" belongs to a comparison` });
    }
    return;
  }
  const op = raw.op;
  if (op === undefined) {
    ctx.addIssue({ code: "custom", path: ["op"], message: `a comparison needs "op" (${COMPARISON_OPS.join(", ")})` });
    return;
  }
  if (PRESENCE_OPS.includes(op)) {
    if (raw.value !== undefined || raw.ref !== undefined) {
      ctx.addIssue({ code: "custom", message: `"${op}" takes neither "value" nor "ref"` });
    }
    return;
  }
  if ((raw.value === undefined) === (raw.ref === undefined)) {
    ctx.addIssue({ code: "custom", message: `"${op}" needs exactly one of "value" or "ref"` });
    return;
  }
  if (raw.value === undefined) return;
  // A mistyped literal (e.g. "500" for gt) would make the rule silently never match: reject it here.
  if (NUMERIC_OPS.includes(op) && typeof raw.value !== "number") {
    ctx.addIssue({ code: "custom", path: ["value"], message: `"${op}" compares with a number` });
  } else if (op === "in" && !Array.isArray(raw.value)) {
    ctx.addIssue({ code: "custom", path: ["value"], message: `"in" compares with an array` });
  } else if ((op === "eq" || op === "neq") && Array.isArray(raw.value)) {
    ctx.addIssue({ code: "custom", path: ["value"], message: `"${op}" compares with a string, number or boolean` });
  }
}

/** Zod schema of {@link Condition}; nested conditions are validated recursively. */
export const conditionSchema: z.ZodType<Condition, unknown> = z.lazy(() =>
  rawConditionSchema
    .superRefine(checkCondition)
    // checkCondition guarantees exactly one form with its required keys, so the loose shape is a Condition.
    .transform((raw) => raw as Condition),
);

/** Every path a condition reads (`path` and `ref`), for load-time checks such as unknown `params.*` keys. */
export function conditionPaths(condition: Condition): string[] {
  if ("all" in condition) return condition.all.flatMap(conditionPaths);
  if ("any" in condition) return condition.any.flatMap(conditionPaths);
  if ("not" in condition) return conditionPaths(condition.not);
  return condition.ref === undefined ? [condition.path] : [condition.path, condition.ref];
}
