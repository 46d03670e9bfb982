import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Warden's core names no domain: the reference domain (support refunds) lives in `src/packs/support/`, and only
 * the composition root (`warden.config.ts`) imports a pack. A new pack must never need a core edit, and this is
 * what keeps it so (comments included: a comment naming the domain is how a domain assumption creeps back in).
 */
const SRC = join(import.meta.dirname, "..", "..", "src");
const PACKS = join(SRC, "packs");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === PACKS ? [] : files(path);
    return /\.(ts|sql|json|md)$/.test(entry.name) ? [path] : [];
  });
}

/** The domain's words. "ORDER BY" is SQL, "unsupported" an HTTP status, `dotted_order` a LangSmith field; "in order" is rephrased in the core. */
const DOMAIN = [/refund/i, /\bsupport(s|ed|ing)?\b/i, /\border(?!\s+by\b)(s|_id|_ids|id|ids)?\b/i, /order_?id/i, /(?<!dotted)_orders?\b/i];

describe("the core knows no domain", () => {
  const core = files(SRC);

  it("no file in src/ outside src/packs/ names a refund, an order or the support domain", () => {
    const hits: string[] = [];
    for (const file of core) {
      readFileSync(file, "utf8").split("\n").forEach((line, index) => {
        const pattern = DOMAIN.find((candidate) => candidate.test(line));
        if (pattern) hits.push(`${relative(SRC, file)}:${index + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it("nothing in src/ outside src/packs/ imports a pack", () => {
    const imports = core.filter((file) => /from\s+["'][^"']*\/packs\//.test(readFileSync(file, "utf8"))).map((file) => relative(SRC, file));
    expect(imports).toEqual([]);
  });

  it("the check sees what it must see", () => {
    // Guards the guard: each pattern catches what it is for and lets the core's own vocabulary through.
    const hit = (line: string) => DOMAIN.some((pattern) => pattern.test(line));
    for (const line of ["issue_refund", "Refunds", "our support team", "lookup_order", "an order", "orderId"]) expect(hit(line), line).toBe(true);
    for (const line of ["ORDER BY seq", "UNSUPPORTED_MEDIA_TYPE", "ordered", "unordered", "dotted_order", "in sequence"]) expect(hit(line), line).toBe(false);
  });
});
