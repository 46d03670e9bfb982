import { Overwrite } from "@langchain/langgraph";
import type { DepsProvider } from "../kernel/deps.js";
import type { State, Update } from "../kernel/state.js";
import { WardenError } from "../errors.js";
import { nodeKit } from "../kernel/node-kit.js";

/** Outcome fields of the previous run on a thread, cleared before a new one starts. */
const PER_RUN_KEYS = ["memories", "answer", "status", "escalation", "verdict", "agent_steps", "denial"] as const;

/**
 * First node of every run: checks the envelope the graph was given, loads the release (throws on an unknown
 * one) and clears what a previous run on the same thread left behind.
 */
export function createIntakeNode(getDeps: DepsProvider) {
  return async function intake(state: State): Promise<Update> {
    for (const key of ["run_id", "thread_id", "tenant", "actor", "goal", "release"] as const) {
      if (typeof state[key] !== "string" || state[key].length === 0) {
        throw new WardenError("ENVELOPE_INVALID", `The run input lacks "${key}".`, { details: { field: key } });
      }
    }
    const kit = await nodeKit(getDeps, state, "intake");
    kit.emit("run.started", {
      thread_id: state.thread_id,
      actor: state.actor,
      roles: state.roles ?? [],
      goal: state.goal,
      tools: kit.loaded.release.tools,
      "gen_ai.request.model": kit.loaded.release.model.name,
    });
    // Clear only what a previous run on this thread left: writing unchanged channels costs checkpoint rows.
    // The agent's step bound is set by `route`, from the release's entry for the agent it picks.
    const update: Update = { roles: state.roles ?? [] };
    if ((state.evidence ?? []).length > 0) update.evidence = new Overwrite([]);
    if ((state.memory_proposals ?? []).length > 0) update.memory_proposals = new Overwrite([]);
    // A subject is per run: one named by an earlier run on this thread is not this run's.
    if (state.subject !== undefined && state.subject_run !== state.run_id) {
      update.subject = undefined;
      update.subject_run = undefined;
    }
    for (const key of PER_RUN_KEYS) {
      if (state[key] !== undefined) (update as Record<string, unknown>)[key] = undefined;
    }
    return update;
  };
}
