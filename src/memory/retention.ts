import { WardenError } from "../errors.js";
import type { PolicyEngine } from "../policy/types.js";

/**
 * Reads the retention period for `kind` from the tenant's policy params (`memory_retention_days`: days per
 * kind, with `default` for the rest). A missing or malformed table is a policy error, not "keep forever":
 * memory must never be stored without an expiry.
 */
export function retentionDays(policy: PolicyEngine, tenant: string, kind: string): number {
  const table = policy.paramsFor(tenant)["memory_retention_days"];
  if (table === null || typeof table !== "object" || Array.isArray(table)) {
    throw new WardenError("POLICY_INVALID", `Policy ${policy.ref} has no memory_retention_days table in its params`);
  }
  const days = Object.hasOwn(table, kind) ? (table as Record<string, unknown>)[kind] : (table as Record<string, unknown>)["default"];
  if (typeof days !== "number" || !Number.isFinite(days) || days <= 0) {
    throw new WardenError("POLICY_INVALID", `Policy ${policy.ref} gives no positive memory_retention_days for kind "${kind}" (nor a default)`);
  }
  return days;
}
