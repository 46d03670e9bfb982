import type { Evaluator } from "../evaluator.js";
import { answerEvaluator } from "./answer-checks.js";
import { effectsCountEvaluator } from "./effects-count.js";
import { forbiddenToolsEvaluator } from "./forbidden-tools.js";
import { internalTextEvaluator } from "./internal-text.js";
import { outcomeEvaluator } from "./outcome.js";
import { traceCheckEvaluators } from "./trace-checks.js";
import { traceKindsEvaluator } from "./trace-kinds.js";
import { trajectoryEvaluator } from "./trajectory.js";

export { createJudgeEvaluator } from "./llm-judge.js";

/** Every offline evaluator, in report sequence. The judge joins them only when a judge model is configured. */
export const DEFAULT_EVALUATORS: readonly Evaluator[] = [
  outcomeEvaluator,
  effectsCountEvaluator,
  trajectoryEvaluator,
  forbiddenToolsEvaluator,
  ...traceCheckEvaluators,
  answerEvaluator,
  internalTextEvaluator,
  traceKindsEvaluator,
];
