import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { createLLMAsJudge } from "openevals";
import type { Evaluator } from "../evaluator.js";

/** What the judge is asked: helpfulness and honesty towards the customer, never whether policy was followed. */
const PROMPT = `You are reviewing an assistant's final answer to a customer.
<request>
{inputs}
</request>
<answer>
{outputs}
</answer>
Score how well the answer serves the customer: it addresses the request, is accurate about what happened (an action
taken, refused, or waiting for review), is polite and clear, and does not expose internal notes or procedures.`;

/**
 * An LLM-as-judge (openevals `createLLMAsJudge`) on the customer's answer, continuous 0..1. Built only when a judge
 * model is configured (`WARDEN_EVAL_JUDGE_MODEL`): it calls a real model, so it never runs in the offline default.
 */
export function createJudgeEvaluator(judge: BaseChatModel, passAt = 0.5): Evaluator {
  const evaluator = createLLMAsJudge({ prompt: PROMPT, judge, continuous: true, feedbackKey: "llm_judge" });
  return {
    key: "llm_judge",
    async evaluate(run) {
      if (run.answer === undefined || run.answer.trim() === "") return undefined;
      const result = await evaluator({ inputs: run.case.input.goal, outputs: run.answer });
      const score = typeof result.score === "number" ? result.score : result.score ? 1 : 0;
      return { key: "llm_judge", score, pass: score >= passAt, comment: typeof result.comment === "string" ? result.comment : "" };
    },
  };
}
