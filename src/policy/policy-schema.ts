import { z } from "zod";
import { WardenError } from "../errors.js";
import { POLICY_POINTS } from "../contracts/policy-points.js";
import { PATH_PATTERN, conditionPaths, conditionSchema } from "./condition-schema.js";
import { PLACEHOLDER_PATTERN } from "./render-reason.js";

/** Rule id the engine reports when deciding failed (fail closed); no rule may take it. */
export const POLICY_ERROR_RULE = "policy-error";

export const policyEffectSchema = z.enum(["allow", "deny", "require_approval"]);

/** One rule: where it applies (`point`, optional `tool`), when it matches, and what it decides. */
export const policyRuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "rule ids are kebab-case"),
  point: z.enum(POLICY_POINTS),
  /** Matched against `subject.tool`; a rule with a tool filter never matches a subject without a tool. */
  tool: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  when: conditionSchema.optional(),
  effect: policyEffectSchema,
  /**
   * For operators: traces, approvals, API answers. May hold `{path}` placeholders filled from the scope
   * (`{subject.args.amount}`, `{params.credit_cap}`). Never shown to the customer.
   */
  reason: z.string().min(1),
  /**
   * What the customer may be told about this decision, in their words (same placeholders). Optional: without it
   * the customer gets a neutral text for the situation, never `reason`.
   */
  customer_reason: z.string().min(1).optional(),
});

const paramsSchema = z.record(z.string(), z.json());

/** A policy document, as stored in `policies/<id>@<version>.json`. */
export const policyDocumentSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "policy ids are lower-case letters, digits, - and _"),
    version: z.number().int().positive(),
    description: z.string(),
    params: z.strictObject({
      defaults: paramsSchema,
      tenants: z.record(z.string(), paramsSchema).default({}),
    }),
    roles: z.record(z.string(), z.array(z.string().min(1))),
    /** Effect of each point when no rule matches; every point must be listed, so nothing is implicit. */
    defaults: z.record(z.enum(POLICY_POINTS), policyEffectSchema),
    rules: z.array(policyRuleSchema),
  })
  .superRefine(checkReferences);

export type PolicyRule = z.output<typeof policyRuleSchema>;
export type PolicyDocument = z.output<typeof policyDocumentSchema>;
/** What a policy file may contain before defaults are applied (e.g. `params.tenants` may be omitted). */
export type PolicyDocumentInput = z.input<typeof policyDocumentSchema>;

/*
 * Cross-field checks zod's shape cannot express. The params checks matter most: a rule comparing with
 * `params.credit_capp` (typo) would read undefined, never match, and silently allow what it was meant to deny.
 */
function checkReferences(doc: PolicyDocument, ctx: z.RefinementCtx): void {
  const knownParams = new Set(Object.keys(doc.params.defaults));
  for (const [tenant, overrides] of Object.entries(doc.params.tenants)) {
    for (const key of Object.keys(overrides)) {
      if (!knownParams.has(key)) {
        ctx.addIssue({
          code: "custom",
          path: ["params", "tenants", tenant, key],
          message: `tenant parameter "${key}" has no default in params.defaults`,
        });
      }
    }
  }

  const seen = new Set<string>();
  doc.rules.forEach((rule, index) => {
    if (rule.id === POLICY_ERROR_RULE || seen.has(rule.id)) {
      ctx.addIssue({
        code: "custom",
        path: ["rules", index, "id"],
        message: rule.id === POLICY_ERROR_RULE ? `"${rule.id}" is reserved` : `duplicate rule id "${rule.id}"`,
      });
    }
    seen.add(rule.id);

    const placeholders: string[] = [];
    for (const field of ["reason", "customer_reason"] as const) {
      for (const match of (rule[field] ?? "").matchAll(PLACEHOLDER_PATTERN)) {
        const placeholder = match[1] ?? "";
        placeholders.push(placeholder);
        if (!PATH_PATTERN.test(placeholder)) {
          ctx.addIssue({
            code: "custom",
            path: ["rules", index, field],
            message: `placeholder "{${placeholder}}" is not a path under subject, facts, params or ctx`,
          });
        }
      }
    }

    const paths = [...(rule.when === undefined ? [] : conditionPaths(rule.when)), ...placeholders];
    for (const path of paths) {
      const [root, key] = path.split(".");
      if (root === "params" && key !== undefined && !knownParams.has(key)) {
        ctx.addIssue({
          code: "custom",
          path: ["rules", index],
          message: `rule "${rule.id}" reads "${path}", but "${key}" is not in params.defaults`,
        });
      }
    }
  });
}

/**
 * Validates a policy document.
 * @param source names the document in the error message (a file path, or `"inline"`).
 * @throws WardenError `POLICY_INVALID` with the zod issues as `details`.
 */
export function parsePolicy(input: unknown, source = "inline"): PolicyDocument {
  const result = policyDocumentSchema.safeParse(input);
  if (!result.success) {
    throw new WardenError("POLICY_INVALID", `Policy ${source} is invalid:\n${z.prettifyError(result.error)}`, {
      details: result.error.issues,
    });
  }
  return result.data;
}
