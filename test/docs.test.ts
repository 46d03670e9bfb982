import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../src/errors.js";
import { ConfigSchema } from "../src/runtime/config.js";

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
