import type { CaseRun } from "./run-case.js";

/** One evaluator's verdict on one case: a score in [0, 1], whether that counts as a pass, and why. */
export interface Score {
  key: string;
  score: number;
  pass: boolean;
  /** Why, in terms a reviewer can check: tool names, seqs, expected vs actual. Never a customer's text. */
  comment: string;
}

/**
 * Judges one case run. Returns undefined when the case gives it nothing to judge (no trajectory, no answer
 * expectations): a skipped case neither passes nor fails it, and does not count in its mean.
 */
export interface Evaluator {
  key: string;
  evaluate(run: CaseRun): Promise<Score | undefined> | Score | undefined;
}

export function scoreOf(key: string, problems: string[], passComment: string): Score {
  return problems.length === 0 ? { key, score: 1, pass: true, comment: passComment } : { key, score: 0, pass: false, comment: problems.join("; ") };
}

/** An evaluator from a pure function: the common case. */
export function defineEvaluator(key: string, evaluate: (run: CaseRun) => Omit<Score, "key"> | undefined): Evaluator {
  return {
    key,
    evaluate(run) {
      const result = evaluate(run);
      return result === undefined ? undefined : { key, ...result };
    },
  };
}
