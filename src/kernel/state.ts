import { MessagesDeltaValue, ReducedValue, StateGraph, StateSchema, type BaseChannel } from "@langchain/langgraph";
import { z } from "zod";

/** Decision recorded for one tool call (what the policy gate decided and about which exact arguments). */
export const CallDecision = z.object({
  effect: z.enum(["allow", "deny", "require_approval"]),
  rule: z.string(),
  reason: z.string(),
  policy: z.string(),
  args_hash: z.string(),
});
export type CallDecision = z.infer<typeof CallDecision>;

export const ApprovalState = z.object({
  approval_id: z.string(),
  tool_call_id: z.string(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()),
  args_hash: z.string(),
  rule: z.string(),
  reason: z.string(),
  requested_by: z.string(),
  status: z.enum(["pending", "approved", "rejected"]),
  approver: z.string().optional(),
  comment: z.string().optional(),
});
export type ApprovalState = z.infer<typeof ApprovalState>;

/** Why policy refused what the run asked for: the deciding rule, its reason and the policy (`id@version`). */
export const Denial = z.object({ rule: z.string(), reason: z.string(), policy: z.string() });
export type Denial = z.infer<typeof Denial>;

export const EffectSummary = z.object({ effect_id: z.string(), tool: z.string(), status: z.string() });
export type EffectSummary = z.infer<typeof EffectSummary>;

/** A long-term memory entry handed to the run by `memory_read` (already redacted, unexpired). */
export const MemoryFact = z.object({ memory_id: z.string(), kind: z.string(), content: z.string(), created_at: z.string() });
export type MemoryFact = z.infer<typeof MemoryFact>;

/** A memory a path proposes during the run; `memory_write` decides and stores it at the end. */
export const MemoryProposal = z.object({
  /** Stable within the run (tool call id, or a workflow step), so a re-run `memory_write` stores it once. */
  proposal_id: z.string(),
  kind: z.string(),
  content: z.string(),
  proposed_by: z.enum(["model", "workflow"]),
});
export type MemoryProposal = z.infer<typeof MemoryProposal>;

export const FINAL_STATUSES = ["completed", "denied", "escalated", "failed"] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];

/** Merges keyed records: a later write for a key replaces the earlier one. */
function mergeRecord<T>(schema: z.ZodType<T>) {
  return new ReducedValue(z.record(z.string(), schema).default(() => ({})), {
    inputSchema: z.record(z.string(), schema),
    reducer: (current: Record<string, T>, next: Record<string, T>) => ({ ...current, ...next }),
  });
}

/** Appends proposals, keeping one per proposal_id (a re-run step proposes the same ids again). */
// No default on purpose: an empty channel is not copied across subgraph boundaries (each copy is a checkpoint write).
const appendProposals = new ReducedValue(z.array(MemoryProposal).optional(), {
  inputSchema: z.array(MemoryProposal),
  reducer: (current: MemoryProposal[] | undefined, next: MemoryProposal[]) => {
    const seen = new Set((current ?? []).map((proposal) => proposal.proposal_id));
    return [...(current ?? []), ...next.filter((proposal) => !seen.has(proposal.proposal_id))];
  },
});

/** Appends ids, keeping each once. */
const appendUnique = new ReducedValue(z.array(z.string()).default(() => []), {
  inputSchema: z.array(z.string()),
  reducer: (current: string[], next: string[]) => [...new Set([...current, ...next])],
});

/**
 * The channels every Warden graph shares. A subgraph's state holds all of them (so a core node reads the
 * envelope directly inside it) plus the subgraph's own, which never reach the runtime graph (see
 * `defineWorkflowState` in ./workflow-state.ts). Traces are NOT kept here (they go to run_events in batches), and `messages` is a delta channel, so a
 * checkpoint stores each step's new messages rather than the whole history again (invariant 5).
 */
export const RuntimeState = new StateSchema({
  run_id: z.string(),
  thread_id: z.string(),
  tenant: z.string(),
  actor: z.string(),
  roles: z.array(z.string()),
  goal: z.string(),
  release: z.string(),
  context: z.record(z.string(), z.unknown()).optional(),
  /** Whom the run is about (e.g. a customer id); keys its long-term memory. */
  subject: z.string().optional(),
  /** The run that named `subject`: intake clears a subject left on the thread by an earlier run. */
  subject_run: z.string().optional(),
  /** The subject's memories as read at the start of this run (empty without a subject or when policy denied). */
  memories: z.array(MemoryFact).optional(),
  memory_proposals: appendProposals,
  /** A workflow's or an agent's node name (the packs declare them). */
  routed_to: z.string().optional(),
  route_reason: z.string().optional(),
  messages: MessagesDeltaValue,
  /** Agent turns taken in the current run (bounded by the release/env). */
  agent_steps: z.number().optional(),
  /** The step bound of the routed agent's release entry, set by `route` so the (synchronous) routing function can read it. */
  agent_max_steps: z.number().optional(),
  decisions: mergeRecord(CallDecision),
  approvals: mergeRecord(ApprovalState),
  /** Tool call ids whose successful results the answer may rest on (answer_check reads them). */
  evidence: appendUnique,
  effects: mergeRecord(EffectSummary),
  answer: z.string().optional(),
  status: z.enum(FINAL_STATUSES).optional(),
  /** Set when the run ends `denied` by policy: when a workflow asks policy first, or at the moment of the effect. */
  denial: Denial.optional(),
  escalation: z.string().optional(),
  verdict: z.enum(["pass", "fail"]).optional(),
});

/** What a run starts from: the envelope fields `intake` checks. */
const envelopeFields = {
  run_id: RuntimeState.fields.run_id,
  thread_id: RuntimeState.fields.thread_id,
  tenant: RuntimeState.fields.tenant,
  actor: RuntimeState.fields.actor,
  roles: RuntimeState.fields.roles,
  goal: RuntimeState.fields.goal,
  release: RuntimeState.fields.release,
  context: RuntimeState.fields.context,
  subject: RuntimeState.fields.subject,
};

/** What the parent reads back from either path (answer_check and evaluate). */
const outcomeFields = {
  answer: RuntimeState.fields.answer,
  status: RuntimeState.fields.status,
  denial: RuntimeState.fields.denial,
  escalation: RuntimeState.fields.escalation,
  evidence: RuntimeState.fields.evidence,
  effects: RuntimeState.fields.effects,
  memory_proposals: RuntimeState.fields.memory_proposals,
};

/**
 * Subgraph boundaries are narrow on purpose: each channel crossing one is written to the checkpoint again on
 * the way in and on the way out (measured: about 90 extra SQL statements per workflow run with the full state).
 */
export const WorkflowInput = new StateSchema({ ...envelopeFields, memories: RuntimeState.fields.memories });
export const WorkflowOutput = new StateSchema(outcomeFields);
/** The agent also carries the thread's conversation in and out (its memory across runs on a thread). */
export const AgentInput = new StateSchema({ ...envelopeFields, memories: RuntimeState.fields.memories, messages: RuntimeState.fields.messages, agent_max_steps: RuntimeState.fields.agent_max_steps });
export const AgentOutput = new StateSchema({ ...outcomeFields, messages: RuntimeState.fields.messages });

export type State = typeof RuntimeState.State;
export type Update = typeof RuntimeState.Update;

let channels: Record<string, BaseChannel> | undefined;
/** The runtime graph's channels, for code that reads checkpoints without the graph (checkpoint pruning). */
export function runtimeChannels(): Record<string, BaseChannel> {
  channels ??= new StateGraph(RuntimeState).channels as Record<string, BaseChannel>;
  return channels;
}
