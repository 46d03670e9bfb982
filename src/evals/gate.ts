import type { Experiment } from "./experiment.js";
import type { Thresholds } from "./thresholds.js";

export interface Regression {
  case: string;
  evaluator: string;
  baseline: number;
  candidate: number;
}

export interface GateVerdict {
  gate: "pass" | "fail";
  /** Why it failed, each naming the case and the evaluator (or the mean) that broke a rule. */
  reasons: string[];
  regressions: Regression[];
}

/**
 * Applies the thresholds to a candidate experiment, and with a baseline run on the same dataset, compares them:
 * every hard evaluator scores 1 on every case; every soft mean meets its minimum; no case that passed on the
 * baseline fails on the candidate; no soft mean falls by more than its tolerance.
 */
export function decideGate(candidate: Experiment, baseline: Experiment | undefined, thresholds: Thresholds): GateVerdict {
  const reasons: string[] = [];
  for (const result of candidate.results) {
    if (result.crashed) reasons.push(`case ${result.id}: could not run (${result.crashed})`);
    for (const key of thresholds.hard) {
      const score = result.scores[key];
      if (score && score.score < 1) reasons.push(`case ${result.id}: hard evaluator ${key} failed: ${score.comment}`);
    }
  }
  for (const [key, rule] of Object.entries(thresholds.soft)) {
    const mean = candidate.means[key];
    if (mean !== undefined && mean < rule.min_mean) reasons.push(`evaluator ${key}: mean ${mean} is below the minimum ${rule.min_mean}`);
  }
  const regressions: Regression[] = [];
  if (baseline) {
    const before = new Map(baseline.results.map((result) => [result.id, result]));
    for (const result of candidate.results) {
      const previous = before.get(result.id);
      if (!previous) continue;
      for (const [key, score] of Object.entries(result.scores)) {
        const old = previous.scores[key];
        if (old && score.score < old.score) regressions.push({ case: result.id, evaluator: key, baseline: old.score, candidate: score.score });
      }
      if (previous.pass && !result.pass) {
        const broke = Object.values(result.scores).filter((score) => !score.pass && previous.scores[score.key]?.pass !== false).map((score) => score.key);
        reasons.push(`case ${result.id}: passed on baseline ${baseline.release}, fails on ${candidate.release} (${broke.join(", ") || "status"})`);
      }
    }
    for (const [key, rule] of Object.entries(thresholds.soft)) {
      const now = candidate.means[key];
      const then = baseline.means[key];
      if (now !== undefined && then !== undefined && then - now > rule.tolerance + 1e-9) {
        reasons.push(`evaluator ${key}: mean fell from ${then} to ${now}, more than its tolerance ${rule.tolerance}`);
      }
    }
  }
  return { gate: reasons.length === 0 ? "pass" : "fail", reasons, regressions };
}
