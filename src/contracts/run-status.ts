/**
 * The statuses of a run, spelled once. The store's `runs.status` column, the HTTP schemas, the trace's
 * `run.finished` event, webhooks and eval expectations all take their lists from here.
 */
export const RUN_STATUSES = ["queued", "running", "waiting_approval", "completed", "denied", "escalated", "failed", "cancelled", "interrupted", "rolled_back"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** How a run's graph ends by itself: the outcomes the graph's nodes write into state. */
export const GRAPH_OUTCOMES = ["completed", "denied", "escalated", "failed"] as const satisfies readonly RunStatus[];
export type GraphOutcome = (typeof GRAPH_OUTCOMES)[number];

/** Where an execution of the graph leaves a run: an outcome, or waiting for a person. What webhooks and evals hear about. */
export const SETTLED_STATUSES = ["completed", "waiting_approval", "denied", "escalated", "failed"] as const satisfies readonly RunStatus[];

/** The statuses a `run.finished` trace event reports: a settled run, or one cancelled while it executed. */
export const RUN_FINISHED_STATUSES = [...SETTLED_STATUSES, "cancelled"] as const satisfies readonly RunStatus[];

/** Statuses a run does not leave by itself: a waiting run needs a person, the others are final. */
export const STABLE_STATUSES: readonly RunStatus[] = ["waiting_approval", "completed", "denied", "escalated", "failed", "cancelled", "interrupted", "rolled_back"];
/** Statuses after which nothing more happens to the run. */
export const FINAL_STATUSES: readonly RunStatus[] = ["completed", "denied", "escalated", "failed", "cancelled", "interrupted", "rolled_back"];
