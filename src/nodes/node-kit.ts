import type { DepsProvider, GraphDeps, LoadedRelease } from "../graph/deps.js";
import type { State } from "../graph/state.js";
import type { RunTrace, TraceKind } from "../trace/types.js";

/** What a node works with: deps, the run's release and a trace emitter stamped with the node's name. */
export interface NodeKit {
  deps: GraphDeps;
  loaded: LoadedRelease;
  trace: RunTrace;
  emit(kind: TraceKind, attributes: Record<string, unknown>): void;
}

export async function nodeKit(getDeps: DepsProvider, state: State, node: string): Promise<NodeKit> {
  const deps = await getDeps();
  const loaded = await deps.release(state.release);
  const trace = deps.trace.forRun({ tenant: state.tenant, runId: state.run_id, release: state.release });
  return { deps, loaded, trace, emit: (kind, attributes) => trace.emit(kind, attributes, node) };
}

/** Tool calls made by workflow steps get fixed ids, so a re-run step hits the same effect-ledger row. */
export function workflowCallId(step: string): string {
  return `wf_${step}`;
}
