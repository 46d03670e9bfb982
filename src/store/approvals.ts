import type { Queryable } from "./db.js";

/** Approvals table access. Every query is tenant-scoped (invariant 4). */
export interface ApprovalRow {
  tenant_id: string;
  approval_id: string;
  run_id: string;
  thread_id: string;
  tool_call_id: string;
  tool: string;
  args: Record<string, unknown>;
  args_hash: string;
  rule: string;
  reason: string;
  requested_by: string;
  status: "pending" | "approved" | "rejected" | "cancelled";
  decided_by: string | null;
  comment: string | null;
  decided_at: Date | null;
  created_at: Date;
}

export type NewApproval = Pick<
  ApprovalRow,
  "tenant_id" | "approval_id" | "run_id" | "thread_id" | "tool_call_id" | "tool" | "args" | "args_hash" | "rule" | "reason" | "requested_by"
>;

/** Inserts the approval once; a re-run of the requesting node finds the existing row. */
export async function requestApproval(db: Queryable, approval: NewApproval): Promise<void> {
  await db.query(
    `INSERT INTO approvals (tenant_id, approval_id, run_id, thread_id, tool_call_id, tool, args, args_hash, rule, reason, requested_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT DO NOTHING`,
    [
      approval.tenant_id,
      approval.approval_id,
      approval.run_id,
      approval.thread_id,
      approval.tool_call_id,
      approval.tool,
      JSON.stringify(approval.args),
      approval.args_hash,
      approval.rule,
      approval.reason,
      approval.requested_by,
    ],
  );
}

export async function getApproval(db: Queryable, tenant: string, approvalId: string): Promise<ApprovalRow | undefined> {
  const { rows } = await db.query<ApprovalRow>("SELECT * FROM approvals WHERE tenant_id = $1 AND approval_id = $2", [tenant, approvalId]);
  return rows[0];
}

/**
 * Applies a decision only while the approval is pending. Of two racing deciders exactly one gets `true`
 * (invariant 8): the row lock taken by UPDATE serialises them and the loser sees status <> 'pending'.
 */
export async function decideApproval(
  db: Queryable,
  tenant: string,
  approvalId: string,
  decision: { status: "approved" | "rejected" | "cancelled"; decidedBy: string; comment?: string | undefined },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE approvals SET status = $3, decided_by = $4, comment = $5, decided_at = now()
     WHERE tenant_id = $1 AND approval_id = $2 AND status = 'pending'`,
    [tenant, approvalId, decision.status, decision.decidedBy, decision.comment ?? null],
  );
  return rowCount === 1;
}

/**
 * Like {@link decideApproval}, returning the decided row: the winner of a race gets it, the loser undefined. Used
 * inside the transaction that also resumes the run (invariant 11).
 */
export async function decidePendingApproval(
  db: Queryable,
  tenant: string,
  approvalId: string,
  decision: { status: "approved" | "rejected" | "cancelled"; decidedBy: string; comment?: string | undefined },
): Promise<ApprovalRow | undefined> {
  const { rows, rowCount } = await db.query<ApprovalRow>(
    `UPDATE approvals SET status = $3, decided_by = $4, comment = $5, decided_at = now()
       WHERE tenant_id = $1 AND approval_id = $2 AND status = 'pending' RETURNING *`,
    [tenant, approvalId, decision.status, decision.decidedBy, decision.comment ?? null],
  );
  return rowCount === 1 ? rows[0] : undefined;
}

export async function listApprovals(
  db: Queryable,
  tenant: string,
  filter: { status?: ApprovalRow["status"]; runId?: string } = {},
): Promise<ApprovalRow[]> {
  const { rows } = await db.query<ApprovalRow>(
    `SELECT * FROM approvals
     WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR run_id = $3)
     ORDER BY created_at, approval_id`,
    [tenant, filter.status ?? null, filter.runId ?? null],
  );
  return rows;
}

/** Cancels the run's pending approvals (the run was cancelled, interrupted or rolled back): none can be approved later. */
export async function cancelPendingApprovals(db: Queryable, tenant: string, runId: string, decidedBy: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE approvals SET status = 'cancelled', decided_by = $3, decided_at = now()
     WHERE tenant_id = $1 AND run_id = $2 AND status = 'pending'`,
    [tenant, runId, decidedBy],
  );
  return rowCount;
}
