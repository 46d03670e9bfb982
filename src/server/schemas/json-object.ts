import { z } from "zod";
import { findInvisibleCharacter, invisibleCharacterMessage } from "../../text/invisible-characters.js";
import { isUnstorableText } from "./common.js";

/** Limits of a caller-supplied JSON object (the run context). */
export interface JsonObjectLimits {
  /** Largest serialized size in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest nesting of objects and arrays (the object itself is depth 1). */
  maxDepth: number;
}

// Keys that reach prototypes when some later code merges the object naively.
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Finds the first reason `value` is not a safe JSON object, walking it without recursion (a 10,000-level
 * nesting must not overflow the stack), or undefined when it is fine. Checked before serializing, because
 * `JSON.stringify` recurses.
 */
function problemOf(value: Record<string, unknown>, limits: JsonObjectLimits): string | undefined {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (pending.length > 0) {
    const { value: current, depth } = pending.pop()!;
    if (typeof current === "string") {
      if (isUnstorableText(current)) return "strings must not contain NUL characters or lone surrogates";
      const invisible = findInvisibleCharacter(current);
      if (invisible) return `strings ${invisibleCharacterMessage(invisible)}`;
      continue;
    }
    if (current === null || typeof current !== "object") continue;
    if (depth > limits.maxDepth) return `must not be nested deeper than ${limits.maxDepth} levels`;
    if (Array.isArray(current)) {
      for (const item of current) pending.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      if (FORBIDDEN_KEYS.has(key)) return `must not use the key "${key}"`;
      if (isUnstorableText(key)) return "keys must not contain NUL characters or lone surrogates";
      const invisible = findInvisibleCharacter(key);
      if (invisible) return `keys ${invisibleCharacterMessage(invisible)}`;
      pending.push({ value: item, depth: depth + 1 });
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), "utf8");
  if (bytes > limits.maxBytes) return `must be at most ${limits.maxBytes} bytes as JSON (got ${bytes})`;
  return undefined;
}

/**
 * A JSON object within `limits`: no prototype keys, no strings Postgres cannot store or holding invisible or
 * bidirectional control characters (the context reaches the model, and through it an approver), bounded depth and size.
 * A failure is an ordinary validation issue on the field, so the client gets 400 VALIDATION_FAILED with its path.
 */
export function boundedJsonObject(limits: JsonObjectLimits) {
  return z.record(z.string(), z.unknown()).superRefine((value, context) => {
    const problem = problemOf(value, limits);
    if (problem) context.addIssue({ code: "custom", message: problem });
  });
}
