import type { Queryable } from "../store/db.js";
import { renewLeases } from "../store/run-leases.js";
import type { RunRegistry } from "./run-control.js";
import { createPeriodic } from "./periodic.js";
import type { RunLogger } from "./run-logger.js";

export interface Heartbeat {
  start(): void;
  stop(): void;
  /** One renewal now (tests; also after a stop was requested elsewhere). */
  beat(): Promise<void>;
}

/**
 * Renews the leases of every run this process executes, in one statement per beat, and passes on what the rows
 * say: a stop asked of a run by another process (cancel, double-texting) and a lease this process lost (it stalled
 * past its lease and another worker took the run over). Both stop the run at its next step boundary.
 */
export function createHeartbeat(options: { db: Queryable; owner: string; registry: RunRegistry; ttlMs: number; intervalMs: number; log: RunLogger }): Heartbeat {
  const { db, owner, registry } = options;

  async function beat(): Promise<void> {
    const local = registry.runIds();
    if (local.length === 0) return;
    const renewed = await renewLeases(db, owner, options.ttlMs);
    const byRun = new Map(renewed.map((row) => [row.run_id, row]));
    for (const runId of registry.runIds()) {
      const row = byRun.get(runId);
      const token = registry.tokenOf(runId);
      if (!row || Number(row.lease_token) !== token) {
        // Runs that began after the UPDATE's snapshot are not in it yet; only those we sent a beat for count.
        if (local.includes(runId)) registry.requestStop(runId, "lease_lost");
        continue;
      }
      if (row.stop_requested) registry.requestStop(runId, row.stop_requested);
    }
  }

  const periodic = createPeriodic(beat, options.intervalMs, (error) => options.log.warn({ err: error }, "lease heartbeat failed"));
  return { start: periodic.start, stop: periodic.stop, beat };
}
