import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { isWardenError } from "../errors.js";
import type { RunRecord } from "../runs/run-record.js";
import { createRuntime, type Runtime } from "../runtime/create-runtime.js";
import type { FixtureDefinition } from "../kernel/fixture.js";
import type { FlagKind } from "../store/flags.js";
import type { Store } from "../store/open-store.js";
import type { ToolDefinition } from "../tools/types.js";
import type { TraceEvent } from "../trace/types.js";
import type { EvalCase, ScriptStep } from "./dataset.js";
import { withFaults } from "./fault-tools.js";
import { summarizeCost, toolCallsOf, type CaseCost, type ToolCallRecord } from "./run-facts.js";

/** What one case did on one release: the facts every evaluator judges. */
export interface CaseRun {
  case: EvalCase;
  release: string;
  /** The run's final status, or `refused` when the request never became a run (`error` says why). */
  status: string;
  error?: { code: string; message: string };
  route?: string | null;
  answer?: string;
  runId?: string;
  threadId?: string;
  /** The case's run's stored (redacted) trace, by seq. */
  events: TraceEvent[];
  /** Completed side effects per tool, from the effect ledger. */
  effects: Record<string, number>;
  toolCalls: ToolCallRecord[];
  /** Error codes the script's decisions met, in sequence. */
  decisionErrors: string[];
  cost: CaseCost;
}

export interface RunCaseOptions {
  store: Store;
  release: string;
  /** Project root: releases/, prompts/, policies/ of the release under test. */
  root?: string;
  tools: readonly ToolDefinition[];
  /** The packs' fixture steps (rows a case adds beyond the seed). */
  fixtures?: ReadonlyMap<string, FixtureDefinition<any>>;
  /** Overrides the release's model (tests); otherwise the release's, offline unless OPENAI_API_KEY is set in `env`. */
  model?: BaseChatModel;
  env?: Record<string, string | undefined>;
}

type Decision = Extract<ScriptStep, { do: "approve" | "reject" }>;

const isDecision = (step: ScriptStep): step is Decision => step.do === "approve" || step.do === "reject";
const whenOf = (step: ScriptStep) => (isDecision(step) ? "waiting" : "when" in step ? step.when : "before");

async function applyStep(runtime: Runtime, options: RunCaseOptions, evalCase: EvalCase, step: Exclude<ScriptStep, Decision>): Promise<void> {
  const tenant = evalCase.input.tenant;
  switch (step.do) {
    case "grant_consent":
    case "withdraw_consent":
      await runtime.memory.setConsent(tenant, step.subject, step.do === "grant_consent", { actor: step.by ?? evalCase.input.actor, roles: ["admin"] });
      return;
    case "set_flag":
      await runtime.flags.set({ tenant, kind: step.kind as FlagKind, target: step.target ?? "", mode: step.mode ?? null, reason: step.reason ?? null, setBy: step.by ?? "eval-operator" });
      return;
    case "fixture": {
      const fixture = options.fixtures?.get(step.fixture);
      // The dataset was parsed against the same fixtures, so a missing one is a wiring bug of the caller.
      if (!fixture) throw new Error(`eval fixture ${step.fixture} is not declared by any pack`);
      await fixture.insert(options.store.db, tenant, step.row);
      return;
    }
    case "fail_tool":
      return; // Applied when the runtime is built (its tools are wrapped).
  }
}

async function decide(runtime: Runtime, tenant: string, run: RunRecord, step: Decision, errors: string[]): Promise<RunRecord> {
  const pending = run.pending_approvals[0];
  if (!pending) {
    errors.push("NO_PENDING_APPROVAL");
    return run;
  }
  try {
    return await runtime.decide({ tenant, approvalId: pending.approval_id, decision: step.do, approver: step.by, roles: step.roles, ...(step.comment ? { comment: step.comment } : {}) });
  } catch (error) {
    errors.push(isWardenError(error) ? error.code : "DECISION_FAILED");
    return runtime.getRun(tenant, run.run_id);
  }
}

/** Earlier turns on the thread: each runs to its end, its approvals decided as the turn says. */
async function runTurns(runtime: Runtime, evalCase: EvalCase, threadId: string, release: string): Promise<void> {
  const { tenant, actor, roles, subject } = evalCase.input;
  for (const turn of evalCase.input.turns) {
    let run = await runtime.start({ tenant, actor, roles, goal: turn.goal, release, threadId, ...(turn.context ? { context: turn.context } : {}), ...(subject ? { subject } : {}) });
    while (turn.decision !== "none" && run.status === "waiting_approval" && run.pending_approvals[0]) {
      run = await runtime.decide({ tenant, approvalId: run.pending_approvals[0].approval_id, decision: turn.decision, approver: "eval-approver", roles: ["approver"] });
    }
  }
}

/**
 * Runs one case through the real runtime and graph on `store` (an isolated embedded database): the script's
 * setup, the earlier turns, the run, the decisions and in-flight steps as written; then reads back
 * what a client would see (the run record and its trace). Never throws for what the case does: a refusal or a
 * failed decision is part of the outcome.
 */
export async function runCase(evalCase: EvalCase, options: RunCaseOptions): Promise<CaseRun> {
  const faults = evalCase.script.filter((step): step is Extract<ScriptStep, { do: "fail_tool" }> => step.do === "fail_tool");
  const runtime = await createRuntime({
    store: options.store,
    env: options.env ?? {},
    tools: withFaults(options.tools, faults),
    ...(options.root ? { root: options.root } : {}),
    ...(options.model ? { model: options.model } : {}),
  });
  const started = performance.now();
  const { tenant, actor, roles, goal, context, subject } = evalCase.input;
  const threadId = `eval-${evalCase.id}`.slice(0, 128);
  const decisionErrors: string[] = [];
  try {
    for (const step of evalCase.script) if (whenOf(step) === "before") await applyStep(runtime, options, evalCase, step as Exclude<ScriptStep, Decision>);
    await runTurns(runtime, evalCase, threadId, options.release);
    for (const step of evalCase.script) if (whenOf(step) === "after_turns") await applyStep(runtime, options, evalCase, step as Exclude<ScriptStep, Decision>);
    let run: RunRecord;
    try {
      run = await runtime.start({ tenant, actor, roles, goal, release: options.release, threadId, ...(context ? { context } : {}), ...(subject ? { subject } : {}) });
    } catch (error) {
      if (!isWardenError(error)) throw error;
      return { case: evalCase, release: options.release, status: "refused", error: { code: error.code, message: error.message }, events: [], effects: {}, toolCalls: [], decisionErrors, cost: summarizeCost([], performance.now() - started) };
    }
    for (const step of evalCase.script.filter((candidate) => whenOf(candidate) === "waiting")) {
      if (isDecision(step)) run = await decide(runtime, tenant, run, step, decisionErrors);
      else await applyStep(runtime, options, evalCase, step as Exclude<ScriptStep, Decision>);
    }
    const final = await runtime.getRun(tenant, run.run_id);
    const events = (await runtime.getTrace(tenant, run.run_id)).sort((left, right) => left.seq - right.seq);
    const effects: Record<string, number> = {};
    for (const effect of final.effects) if (effect.status === "completed") effects[effect.tool] = (effects[effect.tool] ?? 0) + 1;
    return {
      case: evalCase,
      release: options.release,
      status: final.status,
      ...(final.error ? { error: final.error } : {}),
      route: final.route,
      ...(final.answer !== undefined ? { answer: final.answer } : {}),
      runId: final.run_id,
      threadId: final.thread_id,
      events,
      effects,
      toolCalls: toolCallsOf(events),
      decisionErrors,
      cost: summarizeCost(events, performance.now() - started),
    };
  } finally {
    await runtime.close();
  }
}
