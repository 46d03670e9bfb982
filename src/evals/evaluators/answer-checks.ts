import { defineEvaluator, scoreOf } from "../evaluator.js";

const normalize = (text: string) => text.toLowerCase().replace(/\s+/g, " ");

/** The customer's answer says what it must and nothing it must not (case-insensitive substrings). */
export const answerEvaluator = defineEvaluator("answer", (run) => {
  const { contains, not_contains } = run.case.expect.answer;
  if (contains.length === 0 && not_contains.length === 0) return undefined;
  const answer = normalize(run.answer ?? "");
  const problems = [
    ...contains.filter((text) => !answer.includes(normalize(text))).map((text) => `answer lacks ${JSON.stringify(text)}`),
    ...not_contains.filter((text) => answer.includes(normalize(text))).map((text) => `answer contains ${JSON.stringify(text)}`),
  ];
  return scoreOf("answer", problems, "answer contains what it must and nothing it must not");
});
