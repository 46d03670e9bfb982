import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted at every depth, so two argument objects that differ only in key order hash the
 * same. Follows `JSON.stringify` otherwise (`toJSON`, `undefined` members dropped, non-finite numbers → null).
 * Throws on cycles and BigInt, which no model-produced argument contains.
 */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(canonicalize(value, new Set()));
  // JSON.stringify(undefined) is undefined; an absent argument object hashes like `null`.
  return text ?? "null";
}

function canonicalize(value: unknown, seen: Set<object>): unknown {
  if (value === null || typeof value !== "object") return value;
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === "function") return canonicalize(json.call(value), seen);
  if (seen.has(value)) throw new TypeError("cannot hash cyclic arguments");
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => canonicalize(item, seen));
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      sorted[key] = canonicalize((value as Record<string, unknown>)[key], seen);
    }
    return sorted;
  } finally {
    seen.delete(value);
  }
}

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
