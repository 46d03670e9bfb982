import type { RunControl } from "../kernel/deps.js";

/** Why a run executing here must stop at its next step boundary. */
export type StopReason = "cancel" | "interrupt" | "rollback" | "handback" | "lease_lost";

/** Thrown by a node at a step boundary: the run stops there and its executor records why (not a failure). */
export class RunStopped extends Error {
  constructor(readonly reason: StopReason) {
    super(`run stopped: ${reason}`);
    this.name = "RunStopped";
  }
}

export function isRunStopped(error: unknown): error is RunStopped {
  return error instanceof RunStopped;
}

interface Execution {
  token: number;
  stop?: StopReason;
  /** Aborted for stops that should cut a tool short (cancel, interrupt, rollback, lost lease), not for a handback. */
  tools: AbortController;
}

/**
 * The runs this process executes right now, and the stops asked of them. Nodes reach it through
 * `GraphDeps.runControl` (`nodeKit` calls `assertContinue` first thing), so a stop takes effect at the next step
 * boundary: the node in flight finishes and its writes are kept, the next one does not start.
 */
export interface RunRegistry extends RunControl {
  begin(runId: string, token: number): void;
  end(runId: string): void;
  /** Asks a run executing here to stop; false when it does not execute here. The first reason wins. */
  requestStop(runId: string, reason: StopReason): boolean;
  stopReason(runId: string): StopReason | undefined;
  tokenOf(runId: string): number | undefined;
  /** Ids of the runs executing here. */
  runIds(): string[];
}

const NEVER_ABORTED = new AbortController().signal;

export function createRunRegistry(): RunRegistry {
  const executions = new Map<string, Execution>();
  return {
    begin(runId, token) {
      executions.set(runId, { token, tools: new AbortController() });
    },
    end(runId) {
      executions.delete(runId);
    },
    requestStop(runId, reason) {
      const execution = executions.get(runId);
      if (!execution) return false;
      if (execution.stop === undefined) {
        execution.stop = reason;
        if (reason !== "handback") execution.tools.abort(new RunStopped(reason));
      }
      return true;
    },
    stopReason: (runId) => executions.get(runId)?.stop,
    tokenOf: (runId) => executions.get(runId)?.token,
    runIds: () => [...executions.keys()],
    signalFor: (runId) => executions.get(runId)?.tools.signal ?? NEVER_ABORTED,
    assertContinue(runId) {
      const stop = executions.get(runId)?.stop;
      if (stop !== undefined) throw new RunStopped(stop);
    },
  };
}
