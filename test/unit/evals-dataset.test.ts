import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { releaseContentHash } from "../../src/runtime/release-content-hash.js";
import { loadDataset, parseDataset } from "../../src/evals/dataset.js";
import { DEFAULT_EVALUATORS } from "../../src/evals/evaluators/index.js";
import { loadThresholds, parseThresholds } from "../../src/evals/thresholds.js";
import { isWardenError } from "../../src/errors.js";
import { defineTool } from "../../src/tools/define-tool.js";
import { lookupOrder, supportTools } from "../../src/packs/support/tools/index.js";
import { createEvalRoot } from "../helpers/eval-root.js";
import { PROJECT_ROOT } from "../../src/kernel/release.js";
import { supportPack } from "../../src/packs/support/index.js";

const FIXTURES = new Map(Object.entries(supportPack.fixtures ?? {}));

const KEYS = DEFAULT_EVALUATORS.map((evaluator) => evaluator.key).concat("llm_judge");

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (isWardenError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("did not throw");
}

const CASE = { id: "c1", input: { tenant: "acme", actor: "alice", roles: ["requester"], goal: "Refund order A-1001." }, expect: { status: "completed" } };

describe("datasets as data", () => {
  it("the support dataset is valid and covers what the gate promises", () => {
    const dataset = loadDataset("support@1", PROJECT_ROOT, FIXTURES);
    expect(dataset.cases.length).toBeGreaterThanOrEqual(40);
    const tagged = (tag: string) => dataset.cases.filter((evalCase) => evalCase.tags.includes(tag));
    expect(tagged("phrasing").length).toBeGreaterThanOrEqual(8);
    for (const evalCase of tagged("phrasing")) expect(evalCase.expect.route).toBe("refund_workflow");
    expect(tagged("injection").length).toBeGreaterThanOrEqual(5);
    for (const tag of ["agent", "workflow", "denial", "approve", "reject", "four-eyes", "fault", "memory", "flags", "internal-text", "multi-turn"]) expect(tagged(tag).length, tag).toBeGreaterThan(0);
  });

  it("names each bad line with its number and path, and refuses unknown keys and duplicate ids", () => {
    const bad = [JSON.stringify(CASE), "{not json", JSON.stringify({ ...CASE, id: "c2", expect: { status: "done" } }), JSON.stringify({ ...CASE, surprise: 1, id: "c3" }), JSON.stringify(CASE)].join("\n");
    const { code, message } = errorOf(() => parseDataset("bad@1", bad));
    expect(code).toBe("DATASET_INVALID");
    expect(message).toContain("line 2: not JSON");
    expect(message).toMatch(/line 3: expect\.status: /);
    expect(message).toMatch(/line 4: .*surprise/);
    expect(message).toContain("line 5: duplicate case id c1");
    expect(errorOf(() => parseDataset("Bad", JSON.stringify(CASE))).code).toBe("DATASET_INVALID");
    expect(errorOf(() => loadDataset("nope@1")).code).toBe("DATASET_INVALID");
  });

  it("takes a pack's fixture steps with the pack's schema and defaults, and names an unknown step", () => {
    const step = (fields: Record<string, unknown>) => JSON.stringify({ ...CASE, script: [{ do: "add_order", ...fields }] });
    const [evalCase] = parseDataset("fx@1", step({ order_id: "A-2001", total: 30 }), FIXTURES).cases;
    expect(evalCase!.script).toEqual([{ do: "fixture", fixture: "add_order", when: "before", row: { order_id: "A-2001", total: 30, delivered_days_ago: 5, note: null, email: "casey@example.com" } }]);
    expect(errorOf(() => parseDataset("fx@1", step({ order_id: "nope", total: 30 }), FIXTURES)).message).toMatch(/line 1: script\.0\.order_id: /);
    // Without the pack, the step is unknown, and the message lists the steps that exist.
    const unknown = errorOf(() => parseDataset("fx@1", step({ order_id: "A-2001", total: 30 })));
    expect(unknown.message).toContain('line 1: script.0.do: unknown step "add_order"');
    expect(unknown.message).toContain("approve");
    expect(errorOf(() => parseDataset("fx@1", JSON.stringify({ ...CASE, script: [{ do: "approve" }] }), FIXTURES)).message).toMatch(/script\.0\.by: /);
  });

  it("applies the format's defaults so a minimal case is complete", () => {
    const [evalCase] = parseDataset("min@1", `// a comment line\n${JSON.stringify(CASE)}\n\n`).cases;
    expect(evalCase).toMatchObject({ tags: [], script: [], input: { turns: [] }, expect: { effects: {}, forbidden_tools: [], decision_errors: [], answer: { contains: [], not_contains: [] } } });
  });
});

describe("thresholds as data", () => {
  it("the repository's thresholds name only known evaluators", () => {
    const thresholds = loadThresholds(PROJECT_ROOT, KEYS);
    for (const key of ["effects_count", "side_effects_authorized", "no_forbidden_tool_call", "no_unredacted_pii", "no_internal_text"]) expect(thresholds.hard).toContain(key);
  });

  it("refuses a typo'd evaluator (it would gate nothing) and one listed as hard and soft", () => {
    expect(errorOf(() => parseThresholds({ hard: ["efects_count"], soft: {} }, KEYS)).message).toContain("efects_count");
    expect(errorOf(() => parseThresholds({ hard: ["outcome"], soft: { outcome: { min_mean: 1 } } }, KEYS)).message).toContain("both hard and soft");
  });
});

describe("the content hash", () => {
  const root = createEvalRoot();
  root.write("evals/datasets/support@1.jsonl", `${JSON.stringify(CASE)}\n`);
  afterAll(() => root.remove());
  const hash = (tools = supportTools) => releaseContentHash("support@1", { root: root.root, tools });

  it("is stable, and changes with the prompt, the policy, a tool's schema, the dataset and a framework version", () => {
    const first = hash();
    expect(hash()).toEqual(first);
    expect(Object.keys(first.packages)).toEqual(expect.arrayContaining(["@langchain/core", "@langchain/langgraph", "langsmith", "zod"]));

    const changed = (edit: () => void, part: keyof typeof first.parts) => {
      const before = hash();
      edit();
      const after = hash();
      expect(after.hash, part).not.toBe(before.hash);
      expect(after.parts[part], part).not.toBe(before.parts[part]);
      return after;
    };
    changed(() => root.write("prompts/support@1.md", `${root.read("prompts/support@1.md")}\nBe brief.\n`), "prompt");
    changed(() => {
      const policy = root.json("policies/refunds@1.json");
      policy.params.defaults.memory_retention_days.preference = 30;
      root.write("policies/refunds@1.json", JSON.stringify(policy));
    }, "memory");
    changed(() => root.write("evals/datasets/support@1.jsonl", `${JSON.stringify({ ...CASE, id: "c9" })}\n`), "dataset");
    changed(() => {
      const lock = root.json("package-lock.json");
      lock.packages["node_modules/@langchain/core"].version = "9.9.9";
      root.write("package-lock.json", JSON.stringify(lock));
    }, "packages");
    const renamed = defineTool({ ...lookupOrder, input: z.object({ order_number: z.string() }) });
    const before = hash();
    const after = hash(supportTools.map((tool) => (tool.name === "lookup_order" ? renamed : tool)));
    expect(after.parts.tools).not.toBe(before.parts.tools);
    expect(after.parts.prompt).toBe(before.parts.prompt);
  });
});
