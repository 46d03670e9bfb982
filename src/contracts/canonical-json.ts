/**
 * JSON with object keys sorted at every depth, so two values that differ only in key sequence serialise (and hash)
 * the same. Follows `JSON.stringify` otherwise (`toJSON`, `undefined` members dropped, `undefined` in arrays and
 * non-finite numbers → null). Throws on cycles and BigInt. Used for argument hashes, request hashes and release
 * content hashes.
 */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(canonicalize(value, new Set()));
  // JSON.stringify(undefined) is undefined; an absent value serialises like `null`.
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
