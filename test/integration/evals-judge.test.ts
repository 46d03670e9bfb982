import { ChatOpenAI } from "@langchain/openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEvalDatabases, type EvalDatabases } from "../../src/evals/eval-database.js";
import { runEval } from "../../src/evals/run-eval.js";
import { createEvalRoot } from "../helpers/eval-root.js";
import { startOpenAiStub, type OpenAiStub } from "../helpers/openai-stub-server.js";

const CASES = [
  {
    id: "question",
    tags: ["agent"],
    input: { tenant: "acme", actor: "alice", roles: ["requester"], goal: "Where is my order A-1002, and can I still return it?" },
    expect: { route: "support_agent", status: "completed" },
  },
  {
    id: "refused",
    tags: ["envelope"],
    input: { tenant: "acme", actor: "alice", roles: ["requester"], goal: "Refund A-1001\u202e please" },
    expect: { status: "refused", error: "ENVELOPE_INVALID" },
  },
];

const root = createEvalRoot();
let stub: OpenAiStub;
let databases: EvalDatabases;
beforeAll(async () => {
  // The judge answers with its structured verdict, whichever way the client asks for it (JSON schema or a tool).
  stub = await startOpenAiStub((body) => {
    const verdict = { reasoning: "Addresses the question politely.", score: 0.8 };
    if (body.tools?.length) return { toolCalls: [{ name: body.tools[0]!.function.name, args: verdict }] };
    return { text: JSON.stringify(verdict) };
  });
  databases = await createEvalDatabases(1);
  root.write("evals/datasets/judge@1.jsonl", `${CASES.map((line) => JSON.stringify(line)).join("\n")}\n`);
  const base = root.json("releases/support@1.json");
  root.write("releases/support@1.json", JSON.stringify({ ...base, eval: { dataset: "judge@1" } }));
}, 60_000);
afterAll(async () => {
  await databases?.close();
  await stub?.close();
  root.remove();
});

describe("the LLM-as-judge evaluator", () => {
  it("runs only with a judge model, on each case with an answer, against an OpenAI-compatible server", { timeout: 120_000 }, async () => {
    const outDir = `${root.root}/out`;
    const offline = await runEval({ release: "support@1", baseline: null, root: root.root, databases, concurrency: 1, outDir });
    expect(offline.report.candidate.means.llm_judge).toBeUndefined();
    expect(stub.requests).toHaveLength(0);

    const judge = new ChatOpenAI({ model: "judge-model", apiKey: "test-key", temperature: 0, configuration: { baseURL: `${stub.url}/v1` } });
    const judged = await runEval({ release: "support@1", baseline: null, root: root.root, databases, concurrency: 1, outDir, judge });
    const question = judged.report.candidate.results.find((result) => result.id === "question")!;
    expect(question.scores.llm_judge).toMatchObject({ score: 0.8, pass: true, comment: "Addresses the question politely." });
    // The refused request has no answer to judge.
    expect(judged.report.candidate.results.find((result) => result.id === "refused")!.scores.llm_judge).toBeUndefined();
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]!.body.model).toBe("judge-model");
    expect(JSON.stringify(stub.requests[0]!.body.messages)).toContain("Where is my order A-1002");
    // Reported, not gating: the thresholds do not list it.
    expect(judged.report.candidate.means.llm_judge).toBe(0.8);
    expect(judged.report.verdict.gate).toBe("pass");
  });
});
