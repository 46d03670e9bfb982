import { WardenError } from "../errors.js";
import { decidePendingApproval, getApproval, type ApprovalRow } from "../store/approvals.js";
import type { Db } from "../store/db.js";
import { getRun, resumeWaitingRun, type LeaseClaim, type RunRow } from "../store/runs.js";
import type { RunEngine } from "./engine.js";

export interface ApprovalDecisionInput {
  tenant: string;
  approvalId: string;
  decision: "approve" | "reject";
  approver: string;
  /** The approver's roles (from their API key): `approver` is required. */
  roles: string[];
  comment?: string;
  /** Hash of the arguments the approver reviewed; when given it must match. */
  argsHash?: string;
}

export interface AppliedDecision {
  approval: ApprovalRow;
  run: RunRow;
  /** False: this approver had already made this same decision (a retry); nothing new was applied. */
  applied: boolean;
  /** Set when the resume was leased to the caller (`claimFor`): execute it now, then cancel `backstop`. */
  owned?: { run: RunRow; backstop: string | null };
}

const STATUS_OF = { approve: "approved", reject: "rejected" } as const;

/**
 * Checks a decision (tenant, role, four-eyes, argument hash, still pending, run waiting) and applies it together with
 * the resume it causes: the approvals row, the run back to running, and the run's job commit in one transaction,
 * so a crash cannot leave a decided approval whose run never resumes (invariant 11). Of two racing deciders exactly
 * one wins (the conditional UPDATE, invariant 8); the other gets APPROVAL_CONFLICT naming who decided. The same
 * approver sending the same decision again (a retry whose answer was lost) gets the run, not a conflict.
 */
export async function applyApprovalDecision(
  ctx: { db: Db; engine: RunEngine },
  input: ApprovalDecisionInput,
  /** Lease the resumed run to the caller (given the run's thread), or undefined to queue it. */
  leaseFor?: (threadId: string) => LeaseClaim | undefined,
): Promise<AppliedDecision> {
  const approval = await getApproval(ctx.db, input.tenant, input.approvalId);
  if (!approval) throw new WardenError("APPROVAL_NOT_FOUND", `Approval ${input.approvalId} was not found.`);
  const claimFor = leaseFor?.(approval.thread_id);
  if (!input.roles.includes("approver")) {
    throw new WardenError("APPROVAL_FORBIDDEN", "Deciding approvals needs the approver role.");
  }
  if (input.approver === approval.requested_by) {
    throw new WardenError("APPROVAL_FORBIDDEN", "The requester cannot approve their own request (four-eyes rule).");
  }
  if (input.argsHash !== undefined && input.argsHash !== approval.args_hash) {
    throw new WardenError("APPROVAL_MISMATCH", "The arguments you reviewed are not the ones pending approval.", {
      details: { expected: approval.args_hash, received: input.argsHash },
    });
  }
  const status = STATUS_OF[input.decision];
  const decided = await ctx.db.transaction(async (tx) => {
    const won = await decidePendingApproval(tx, input.tenant, input.approvalId, { status, decidedBy: input.approver, comment: input.comment });
    if (!won) return undefined;
    // Resumed unowned (any worker's job claims it), or leased to the caller, who executes it itself at once.
    const run = await resumeWaitingRun(tx, input.tenant, approval.run_id, claimFor);
    // The approval was pending but its run is not waiting (cancelled, interrupted): undo the decision.
    if (!run) throw new WardenError("RUN_NOT_WAITING", `Run ${approval.run_id} is not waiting for an approval.`);
    const job = { tenant: run.tenant_id, run_id: run.run_id, thread_id: run.thread_id, intent: "resume" as const };
    if (claimFor) return { approval: won, run, owned: { run, backstop: await ctx.engine.sendBackstop(job, claimFor.ttlMs, tx) } };
    await ctx.engine.sendRun(job, { tx });
    return { approval: won, run };
  });
  if (decided) {
    if (!decided.owned) ctx.engine.wake();
    return { ...decided, applied: true };
  }
  const current = (await getApproval(ctx.db, input.tenant, input.approvalId)) ?? approval;
  const run = await getRun(ctx.db, input.tenant, approval.run_id);
  if (current.status === status && current.decided_by === input.approver && run) return { approval: current, run, applied: false };
  if (current.status === "pending") throw new WardenError("RUN_NOT_WAITING", `Run ${approval.run_id} is not waiting for an approval.`);
  throw new WardenError("APPROVAL_CONFLICT", `Approval ${input.approvalId} was already ${current.status}${current.decided_by ? ` by ${current.decided_by}` : ""}.`, {
    details: { status: current.status, decided_by: current.decided_by, decided_at: current.decided_at ? new Date(current.decided_at).toISOString() : null },
  });
}
