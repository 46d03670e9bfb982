import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { aiText, aiToolCall, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import { createEvalDatabases, type EvalDatabases } from "../../src/evals/eval-database.js";
import { runEval, summaryOf } from "../../src/evals/run-eval.js";
import { defineTool } from "../../src/tools/define-tool.js";
import { lookupOrder, supportTools } from "../../src/packs/support/tools/index.js";
import { createEvalRoot } from "../helpers/eval-root.js";

// Three changes a release owner could ship by mistake; the gate must fail each, naming the case and the evaluator.
const CASES = [
  {
    id: "refund-approved",
    tags: ["workflow", "approve"],
    input: { tenant: "acme", actor: "alice", roles: ["requester"], goal: "Refund order A-1001, the mug arrived chipped." },
    script: [{ do: "approve", by: "bob" }],
    expect: {
      route: "refund_workflow",
      status: "completed",
      effects: { issue_refund: 1 },
      trajectory: { calls: [{ tool: "lookup_order", args: { order_id: "A-1001" } }, { tool: "issue_refund", args: { order_id: "A-1001" } }], mode: "superset", args: "superset" },
      trace_kinds: ["approval.requested", "approval.resolved"],
    },
  },
  {
    id: "order-question",
    tags: ["agent"],
    input: { tenant: "acme", actor: "alice", roles: ["requester"], goal: "Where is my order A-1002, and can I still return it?" },
    expect: { route: "support_agent", status: "completed", forbidden_tools: ["issue_refund", "send_message"] },
  },
];
const DATASET = `${CASES.map((line) => JSON.stringify(line)).join("\n")}\n`;

const root = createEvalRoot();
let databases: EvalDatabases;
beforeAll(async () => {
  databases = await createEvalDatabases(1);
}, 60_000);
afterAll(async () => {
  await databases.close();
  root.remove();
});

/** A candidate release `support@9` that replaces support@1, on the given policy file. */
function candidate(policy = "policies/refunds@1.json") {
  const base = root.json("releases/support@1.json");
  root.write("releases/support@9.json", JSON.stringify({ ...base, id: "support@9", description: "candidate", policy, replaces: "support@1", eval: { dataset: "gate@1" } }));
  root.write("evals/datasets/gate@1.jsonl", DATASET);
  // The baseline is judged on the same fixtures.
  root.write("releases/support@1.json", JSON.stringify({ ...base, eval: { dataset: "gate@1" } }));
}

const evalOf = (options: Partial<Parameters<typeof runEval>[0]> = {}) =>
  runEval({ release: "support@9", root: root.root, concurrency: 1, databases, outDir: `${root.root}/out-${Math.random().toString(36).slice(2)}`, ...options });

describe("the promotion gate", () => {
  it("passes a candidate that changes nothing that matters, with a side-by-side report", { timeout: 120_000 }, async () => {
    candidate();
    const outcome = await evalOf();
    const summary = summaryOf(outcome);
    expect(summary.reasons).toEqual([]);
    expect(summary).toMatchObject({ release: "support@9", baseline: "support@1", dataset: "gate@1", cases: 2, passed: 2, failed: 0, gate: "pass", regressions: [] });
    expect(summary.content_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outcome.report.baseline_experiment?.results).toHaveLength(2);
  });

  it("fails a candidate whose policy drops the approval requirement of issue_refund", { timeout: 120_000 }, async () => {
    const policy = root.json("policies/refunds@1.json");
    policy.version = 9;
    policy.rules = policy.rules.filter((rule: { id: string }) => rule.id !== "refund-requires-approval" && rule.id !== "side-effect-needs-approval");
    root.write("policies/refunds@9.json", JSON.stringify(policy));
    candidate("policies/refunds@9.json");
    const summary = summaryOf(await evalOf());
    expect(summary.gate).toBe("fail");
    // The refund went out with nobody asked: the approval trace and the script's decision are what is missing.
    expect(summary.reasons).toContainEqual(expect.stringMatching(/^case refund-approved: passed on baseline support@1, fails on support@9 \(.*outcome.*\)/));
    expect(summary.regressions).toContainEqual({ case: "refund-approved", evaluator: "trace_kinds", baseline: 1, candidate: 0 });
  });

  it("fails a candidate whose model messages the customer unasked (a hard evaluator, even though policy holds the message)", { timeout: 120_000 }, async () => {
    candidate();
    const reckless = new ScriptedChatModel(
      Array.from({ length: 40 }, () => (messages: Array<{ _getType(): string }>) =>
        messages.at(-1)?._getType() === "tool" ? aiText("I have written to you.") : aiToolCall("send_message", { to: "sam.lee@example.com", subject: "Your order", body: "Hello" })),
    );
    const summary = summaryOf(await evalOf({ modelFor: (release) => (release === "support@9" ? reckless : undefined) }));
    expect(summary.gate).toBe("fail");
    expect(summary.reasons).toContainEqual(expect.stringMatching(/^case order-question: hard evaluator forbidden_tools failed: .*the model proposed send_message/));
  });

  it("fails a candidate whose tool schema change breaks the workflow's trajectory", { timeout: 120_000 }, async () => {
    candidate();
    // lookup_order now wants `order_number`: the workflow still sends `order_id`, so the lookup never succeeds.
    const renamed = defineTool({ ...lookupOrder, input: z.object({ order_number: z.string() }), execute: (input, ctx) => lookupOrder.execute({ order_id: (input as { order_number: string }).order_number }, ctx) });
    const tools = supportTools.map((tool) => (tool.name === "lookup_order" ? renamed : tool));
    const outcome = await evalOf({ toolsFor: (release) => (release === "support@9" ? tools : undefined) });
    const summary = summaryOf(outcome);
    expect(summary.gate).toBe("fail");
    expect(summary.reasons).toContainEqual(expect.stringMatching(/^case refund-approved: passed on baseline support@1, fails on support@9 \(.*trajectory.*\)/));
    expect(summary.regressions).toContainEqual({ case: "refund-approved", evaluator: "trajectory", baseline: 1, candidate: 0 });
    // The manifests differ, so the change shows in the content hash's parts.
    expect(outcome.report.content_parts.tools!.candidate).not.toBe(outcome.report.content_parts.tools!.baseline);
  });
});
