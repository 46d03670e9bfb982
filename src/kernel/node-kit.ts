import type { DepsProvider, GraphDeps, LoadedRelease } from "./deps.js";
import type { State } from "./state.js";
import type { FlagSnapshot } from "./flags.js";
import type { FlagRow } from "../store/flags.js";
import type { RunTrace, TraceKind } from "../trace/types.js";

/** What a node works with: deps, the run's release, the flags of this step and a trace emitter stamped with the node's name. */
export interface NodeKit {
  deps: GraphDeps;
  loaded: LoadedRelease;
  /** The rollback switches as of this step (read once per step, at most 1 s stale). */
  flags: FlagSnapshot;
  trace: RunTrace;
  /** Aborted when the run must stop (cancel, interrupt, rollback, lost lease): pass it to tools. */
  signal: AbortSignal;
  emit(kind: TraceKind, attributes: Record<string, unknown>): void;
  /** Records that a switch changed what this step did (`flag.applied`). */
  flagApplied(flag: FlagRow, action: string): void;
}

const NEVER_ABORTED = new AbortController().signal;

/** Takes any graph's state that carries the run envelope (the runtime graph's, an agent's or a workflow's own). */
export async function nodeKit(getDeps: DepsProvider, state: Pick<State, "run_id" | "tenant" | "release">, node: string): Promise<NodeKit> {
  const deps = await getDeps();
  // A step boundary: a run asked to stop stops here, before this node reads or writes anything.
  deps.runControl?.assertContinue(state.run_id);
  const [loaded, flags] = await Promise.all([deps.release(state.release), deps.flags.forTenant(state.tenant)]);
  const trace = deps.trace.forRun({ tenant: state.tenant, runId: state.run_id, release: state.release });
  // The previous step's events are stored as this one starts (in the background, in sequence): a crash loses at most
  // the events of the step it cut off, which runs again on recovery and emits them again.
  void trace.flush().catch(() => {});
  const emit = (kind: TraceKind, attributes: Record<string, unknown>) => trace.emit(kind, attributes, node);
  return {
    deps,
    loaded,
    flags,
    trace,
    signal: deps.runControl?.signalFor(state.run_id) ?? NEVER_ABORTED,
    emit,
    flagApplied: (flag, action) =>
      emit("flag.applied", { flag: flag.kind, target: flag.kind === "prompt" ? promptVersion(flag.target) : flag.target, scope: flag.tenant_id === "*" ? "global" : "tenant", reason: flag.reason ?? undefined, set_by: flag.set_by, action }),
  };
}

/**
 * `prompts/assistant@2.md` → `assistant@2`: the trace's PII redactor reads `assistant@2.md` as an e-mail address
 * (`md` is a top-level domain), so prompt files are named by version in trace attributes.
 */
export function promptVersion(path: string): string {
  return path.replace(/^prompts\//, "").replace(/\.md$/, "");
}

/** Tool calls made by workflow steps get fixed ids, so a re-run step hits the same effect-ledger row. */
export function workflowCallId(step: string): string {
  return `wf_${step}`;
}
