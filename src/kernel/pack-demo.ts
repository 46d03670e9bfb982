import type { Queryable } from "../store/db.js";

/** One scripted request of `warden demo`, over the pack's seed. */
export interface DemoScenario {
  id: string;
  title: string;
  /** The run envelope (as `Runtime.start` takes it). */
  envelope: { tenant: string; actor: string; roles: string[]; goal: string; context?: Record<string, unknown>; subject?: string };
  /** Who decides the approval the run waits for, if it waits for one. */
  approver?: { actor: string; roles: string[]; decision: "approve" | "reject" };
  /** Consent to long-term memory the subject gave before this run (recorded by `actor`). */
  consent?: { subject: string; actor: string };
}

/** What a pack shows in `warden demo`: its scenarios, and the effects its summary counts per run. */
export interface PackDemo {
  scenarios: readonly DemoScenario[];
  /** The effect the summary table counts (its column), e.g. payments a provider made; default: none counted. */
  effects?: {
    label: string;
    /** How many of those effects `run` caused, read from the pack's tables. */
    count(db: Queryable, run: { tenant: string; run_id: string }): Promise<number>;
  };
}
