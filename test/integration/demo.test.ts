import { afterEach, describe, expect, it, vi } from "vitest";
import { runDemo } from "../../src/cli/demo.js";

describe("npm run demo -- --json", () => {
  afterEach(() => vi.restoreAllMocks());

  it("plays the seed scenarios on embedded PGlite, even with DATABASE_URL and an OpenAI key in the environment", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const results = await runDemo({ json: true, env: { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", OPENAI_API_KEY: "sk-should-not-be-used" } });
    const printed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(printed).toEqual(results.map((result) => JSON.parse(JSON.stringify(result))));
    const byScenario = Object.fromEntries(results.map((result) => [result.scenario, result]));
    expect(byScenario["refund-approved"]).toMatchObject({ route: "refund_workflow", status: "completed", effects: 1, eval: "pass" });
    expect(byScenario["refund-denied"]).toMatchObject({ route: "refund_workflow", status: "denied", effects: 0, eval: "pass" });
    expect(byScenario["support-question"]).toMatchObject({ route: "support_agent", status: "completed", effects: 0, eval: "pass" });
    expect(byScenario["refund-approved"]!.event_kinds).toEqual(
      expect.arrayContaining(["run.started", "workflow.step", "policy.decision", "approval.requested", "approval.resolved", "tool.call", "eval.result", "run.finished"]),
    );
    expect(byScenario["support-question"]!.event_kinds).toContain("model.call");
    // Jane consented before her refund: the workflow remembered how it ended, and her next run reads it back.
    expect(byScenario["memory"]).toMatchObject({ route: "support_agent", status: "completed", effects: 0, eval: "pass" });
    expect(byScenario["memory"]!.event_kinds).toEqual(expect.arrayContaining(["memory.read", "memory.write"]));
    expect(byScenario["memory"]!.answer).toMatch(/From earlier conversations I have on record: Refund request of 42\.00 for order A-1001 .*issued/);
  });
});
