import { WardenError } from "../errors.js";
import { decideApproval, getApproval, type ApprovalRow } from "../store/approvals.js";
import type { Queryable } from "../store/db.js";
import { getRun, type RunRow } from "../store/runs.js";

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

/**
 * Checks a decision (tenant, role, four-eyes, argument hash, still pending, run waiting) and applies it with a
 * conditional update. Of two racing deciders exactly one returns; the other gets APPROVAL_CONFLICT
 * (invariant 8). Only the winner may resume the run.
 */
export async function applyApprovalDecision(db: Queryable, input: ApprovalDecisionInput): Promise<{ approval: ApprovalRow; run: RunRow }> {
  const approval = await getApproval(db, input.tenant, input.approvalId);
  if (!approval) throw new WardenError("APPROVAL_NOT_FOUND", `Approval ${input.approvalId} was not found.`);
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
  if (approval.status !== "pending") {
    throw new WardenError("APPROVAL_CONFLICT", `Approval ${input.approvalId} was already ${approval.status}.`);
  }
  const run = await getRun(db, input.tenant, approval.run_id);
  if (!run || run.status !== "waiting_approval") {
    throw new WardenError("RUN_NOT_WAITING", `Run ${approval.run_id} is not waiting for an approval.`);
  }
  const won = await decideApproval(db, input.tenant, input.approvalId, {
    status: input.decision === "approve" ? "approved" : "rejected",
    decidedBy: input.approver,
    comment: input.comment,
  });
  if (!won) throw new WardenError("APPROVAL_CONFLICT", `Approval ${input.approvalId} was decided by someone else first.`);
  return { approval, run };
}
