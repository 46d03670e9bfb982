import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/errors.js";
import { ConfigSchema } from "../../src/runtime/config.js";

/** The pages a reader reads: the README and every page under docs/. */
const PAGES = ["README.md", ...readdirSync("docs").filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];
const read = (path: string) => readFileSync(path, "utf8");

/**
 * `<!-- example: <path> -->` right before a fenced block says the block is that file, verbatim. For a JSON file,
 * `<path>#<rule id>` quotes one rule of a policy (compared as JSON). The examples themselves run in
 * test/integration/extending.test.ts, so what a page shows is what was run.
 */
function quotedExamples(page: string): Array<{ target: string; block: string }> {
  return [...read(page).matchAll(/<!-- example: (\S+) -->\n```[a-z]*\n([\s\S]*?)^```$/gm)].map((match) => ({ target: match[1]!, block: match[2]! }));
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```$/gm, "");
  return new Set(
    [...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((match) =>
      match[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-"),
    ),
  );
}

describe("documentation that code depends on", () => {
  it("docs/errors.md lists every error code", () => {
    const page = readFileSync("docs/errors.md", "utf8");
    const missing = Object.keys(ERROR_CODES).filter((code) => !page.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it(".env.example documents every environment variable the config reads", () => {
    const example = readFileSync(".env.example", "utf8");
    const documented = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((match) => match[1]));
    const missing = Object.keys(ConfigSchema.shape).filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });

  it("README starts with the two commands a newcomer runs", () => {
    const head = readFileSync("README.md", "utf8").split("\n").slice(0, 20).join("\n");
    expect(head).toContain("npm install && npm run demo");
    expect(head).toContain("npm install && npm test");
  });
});

describe("the front door and the docs", () => {
  it("README's code example is docs/examples/quickstart/quickstart.ts, which uses only the public API", () => {
    const examples = quotedExamples("README.md");
    expect(examples.map((example) => example.target)).toEqual(["docs/examples/quickstart/quickstart.ts"]);
    const imports = [...read("docs/examples/quickstart/quickstart.ts").matchAll(/^import .* from "([^"]+)";$/gm)].map((match) => match[1]);
    expect(imports.filter((source) => !source!.startsWith("node:") && source !== "zod")).toEqual(["warden"]);
  });

  it("README stays a page for five minutes: the front matter and links, the rest lives in docs/", () => {
    const readme = read("README.md");
    expect(readme.split("\n").length).toBeLessThan(120);
    for (const page of ["docs/extending.md", "docs/architecture.md", "docs/api.md", "docs/operations.md"]) expect(readme).toContain(`](${page})`);
  });

  it("every quoted example is its file, verbatim", () => {
    const quoted = PAGES.flatMap((page) => quotedExamples(page).map((example) => ({ page, ...example })));
    expect(quoted.length).toBeGreaterThanOrEqual(12);
    for (const { page, target, block } of quoted) {
      const [path, ruleId] = target.split("#") as [string, string | undefined];
      expect(existsSync(path), `${page} quotes ${path}, which does not exist`).toBe(true);
      if (ruleId === undefined) {
        expect(block, `${page}: the block quoting ${path}`).toBe(read(path));
      } else {
        const rules = (JSON.parse(read(path)) as { rules: Array<{ id: string }> }).rules;
        expect(JSON.parse(block), `${page}: the rule ${ruleId} of ${path}`).toEqual(rules.find((rule) => rule.id === ruleId));
      }
    }
  });

  it("docs/extending.md names, for each how-to, the tests of test/integration/extending.test.ts that perform it", () => {
    const page = read("docs/extending.md");
    const tests = read("test/integration/extending.test.ts");
    const table = [...page.matchAll(/^\| \[(.+?)\]\(#[a-z-]+\) \| (.+) \|$/gm)];
    expect(table.map((row) => row[1])).toEqual(["Add a tool", "Add a policy rule", "Add a workflow", "Add an agent", "Add a pack", "Swap the model"]);
    for (const row of table) {
      for (const [, name] of row[2]!.matchAll(/"([^"]+?)(?: …)?"/g)) expect(tests, `extending.md names the test "${name}"`).toContain(`"${name}`);
    }
  });

  it("every relative link of README.md and docs/ points at a file and a heading that exist", () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      const text = read(page).replace(/^```[\s\S]*?^```$/gm, "");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
        const [file, anchor] = target!.split("#") as [string, string | undefined];
        const path = file === "" ? page : normalize(join(dirname(page), file));
        if (!existsSync(path)) broken.push(`${page} → ${target} (no file)`);
        else if (anchor !== undefined && path.endsWith(".md") && !anchorsOf(read(path)).has(anchor)) broken.push(`${page} → ${target} (no heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
