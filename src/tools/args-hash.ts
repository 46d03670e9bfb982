import { createHash } from "node:crypto";
import { canonicalJson } from "../contracts/canonical-json.js";

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * `"sha256:" + hex` of the canonical JSON of a tool call's arguments. Approvals and policy decisions are bound to
 * this hash, so an authorization for `{amount: 42}` cannot be replayed for `{amount: 420}`.
 */
export function hashArgs(args: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(args))}`;
}

/**
 * The effect ledger key of a tool call: `"eff_" + 32 hex`. Deterministic, so a retry, a resume in another
 * process or a concurrent resume computes the same key and finds the same ledger row (and the provider sees the
 * same idempotency key). JSON-encoding the parts keeps `("a:b", "c")` and `("a", "b:c")` apart.
 */
export function effectIdFor(tenant: string, runId: string, toolCallId: string): string {
  return `eff_${sha256Hex(JSON.stringify([tenant, runId, toolCallId])).slice(0, 32)}`;
}
