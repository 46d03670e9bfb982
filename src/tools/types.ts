import type { z } from "zod";
import type { Decision, PolicyEngine } from "../policy/types.js";
import type { Queryable } from "../store/db.js";
import type { RunTrace } from "../trace/types.js";
import type { ToolExtraPolicyPoint } from "../contracts/policy-points.js";

export type SideEffect = "none" | "read" | "write" | "irreversible";

export interface RetryOptions {
  /** Attempts after the first (default 0 for write/irreversible, 2 otherwise). */
  retries: number;
  /** First backoff in ms; doubles each attempt, with jitter. */
  backoffMs: number;
}

export interface ToolContext {
  tenant: string;
  actor: string;
  runId: string;
  toolCallId: string;
  /** The effect ledger id: pass it downstream as the idempotency key. Set for write/irreversible tools. */
  effectId?: string;
  /** Aborted on timeout, and when the run must stop (cancel, shutdown, lost lease). */
  signal: AbortSignal;
  /**
   * Tenant data access; every query must filter by `tenant`. For write/irreversible tools it is the effect's
   * transaction: what the tool writes commits together with the ledger's record of it, or not at all.
   */
  db: Queryable;
  /** 1 for the first attempt. */
  attempt: number;
}

export interface ToolSpec<I extends z.ZodType, O extends z.ZodType> {
  name: string;
  description: string;
  input: I;
  output: O;
  sideEffect: SideEffect;
  permissions: string[];
  retry?: Partial<RetryOptions>;
  timeoutMs?: number;
  /** Nominal cost per call (e.g. provider fee in USD), recorded on `tool.call`. */
  cost?: number;
  /** Extra policy points checked before a call besides `tool_call` (e.g. `outbound_message`, `retrieval`). */
  policyPoints?: ToolExtraPolicyPoint[];
  /** Facts policy needs to judge a call (read-only lookups, e.g. an account's balance and age). */
  policyFacts?: (input: z.output<I>, ctx: { tenant: string; db: Queryable }) => Promise<Record<string, unknown>>;
  /**
   * The business key effects of this tool are serialised on (e.g. `account:AC-1001`), within the tenant. Two calls
   * with the same key never decide and execute at the same time, so a rule such as "one credit per account" holds
   * under any interleaving. Undefined: no serialisation beyond the effect ledger's own row.
   */
  serializeBy?: (input: z.output<I>) => string | undefined;
  /**
   * Set on a tool that proposes a long-term memory (e.g. `remember`): what a successful call proposes. The
   * proposal is only kept in the run; `memory_write` decides on it (policy, consent) at the end of the run.
   */
  proposesMemory?: (input: z.output<I>) => { kind: string; content: string };
  execute(input: z.output<I>, ctx: ToolContext): Promise<z.input<O>>;
}

export type ToolDefinition = ToolSpec<z.ZodType, z.ZodType>;

/** Why a call may run: the policy decision allowing it, or an approval bound to the hash of its exact args. */
export type Authorization =
  | { kind: "policy"; decision: Decision; argsHash: string }
  | { kind: "approval"; approvalId: string; approver: string; argsHash: string };

export interface ToolCallRequest {
  id: string;
  name: string;
  args: unknown;
}

/** Why policy refused a call: the deciding rule, its reason and the `id@version` of the policy document. */
export interface Denial {
  rule: string;
  reason: string;
  policy: string;
}

/** What the executor needs to decide a write/irreversible call again at the moment of its effect. */
export interface EffectPolicy {
  /** The run's release policy (the one that decided the call when it was proposed). */
  engine: PolicyEngine;
  /** The caller's roles, as the proposal was decided with. */
  roles: string[];
}

export interface ToolCallScope {
  tenant: string;
  actor: string;
  runId: string;
  permissions: string[];
  trace: RunTrace;
  authorization?: Authorization;
  /** Required for write/irreversible tools (without it they are refused): policy decides again at the effect. */
  policy?: EffectPolicy;
  /** The run's stop signal: combined with each attempt's timeout and passed to the tool. */
  signal?: AbortSignal;
  node?: string;
  /** Who proposed the call: the model (agent path) or a workflow step. */
  origin: "model" | "workflow";
}

export type ToolResult =
  | { status: "ok"; output: unknown; effectId?: string; replayed: boolean }
  | {
      status: "error";
      error: { code: string; message: string };
      /** false for bad input / denial (the agent may fix it); true for a failure after retries (escalate). */
      permanent: boolean;
      effectId?: string;
      /** Set when policy, deciding again at the moment of the effect, refused the call (`POLICY_DENIED`). */
      denial?: Denial;
    };
