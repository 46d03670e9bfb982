import { createHash } from "node:crypto";
import type { ApprovalState, CallDecision, State } from "../kernel/state.js";
import type { Decision, PolicyPoint } from "../policy/types.js";
import { requestApproval } from "../store/approvals.js";
import { hashArgs } from "../tools/args-hash.js";
import { callPolicyScope } from "./call-policy-scope.js";
import type { NodeKit } from "../kernel/node-kit.js";

const SEVERITY = { allow: 0, require_approval: 1, deny: 2 } as const;

/**
 * The rule of the deny a switched-off tool (`kind: "tool"` flag) gets at the gate. Not a policy rule: no policy
 * document can allow past it, and no approval is opened for a call that could never run.
 */
export const FLAG_TOOL_RULE = "flag:tool";

export interface GateResult {
  decision: CallDecision;
  /** Set when the decision is require_approval and `requestApproval` was asked for. */
  approval?: ApprovalState;
}

export function approvalIdFor(tenant: string, runId: string, toolCallId: string): string {
  return "apr_" + createHash("sha256").update(`${tenant}\u0000${runId}\u0000${toolCallId}`).digest("hex").slice(0, 24);
}

/**
 * Asks policy about one proposed tool call, at `tool_call` and at every extra point the tool names
 * (`outbound_message`, `retrieval`), and keeps the most restrictive answer. Unknown tools, arguments that fail
 * the tool's schema and a failing fact lookup all end in deny (fail closed). A tool switched off by a flag is
 * denied with rule `flag:tool` (reported first, so it is the final decision even beside a policy deny) and a
 * `flag.applied` event. Each decision is a `policy.decision` event (`phase: "draft"`: the executor decides an
 * effect again at its moment, `phase: "effect"`).
 */
export async function gateToolCall(
  kit: NodeKit,
  state: State,
  call: { id: string; name: string; args: unknown },
  options: { proposedBy: "model" | "workflow"; requestApproval: boolean },
): Promise<GateResult> {
  const tool = kit.loaded.tools.get(call.name);
  const { subject, ctx, factsError } = await callPolicyScope(kit, state, call, options.proposedBy);
  const points: PolicyPoint[] = ["tool_call", ...(tool?.policyPoints ?? [])];
  const decisions: Decision[] = points.map((point) => kit.loaded.policy.decide(point, subject, ctx));
  // Policy is still asked, so the trace shows what it would have said; the switch outranks it (first of equals).
  const disabled = kit.flags.find("tool", call.name);
  if (disabled) {
    const reason = `${call.name} is switched off${disabled.reason ? ` (${disabled.reason})` : ""}`;
    decisions.unshift({ point: "tool_call", effect: "deny", rule: FLAG_TOOL_RULE, reason, policy: kit.loaded.policy.ref });
  }
  if (factsError !== undefined) {
    decisions.push({ point: "tool_call", effect: "deny", rule: "policy-error", reason: `Policy facts unavailable: ${factsError}`, policy: kit.loaded.policy.ref });
  }
  const argsHash = hashArgs(call.args);
  for (const decision of decisions) {
    kit.emit("policy.decision", {
      point: decision.point,
      effect: decision.effect,
      rule: decision.rule,
      reason: decision.reason,
      policy: decision.policy,
      proposed_by: options.proposedBy,
      phase: "draft",
      "gen_ai.tool.name": call.name,
      "gen_ai.tool.call.id": call.id,
      args_hash: argsHash,
    });
  }
  if (disabled) kit.flagApplied(disabled, "call denied before approval");
  const final = decisions.reduce((worst, next) => (SEVERITY[next.effect] > SEVERITY[worst.effect] ? next : worst));
  const decision: CallDecision = { effect: final.effect, rule: final.rule, reason: final.reason, policy: final.policy, args_hash: argsHash };
  if (decision.effect !== "require_approval" || !options.requestApproval) return { decision };
  return { decision, approval: await openApproval(kit, state, call, decision) };
}

/** Writes the approvals row (idempotent on re-run) and the `approval.requested` event. */
export async function openApproval(
  kit: NodeKit,
  state: State,
  call: { id: string; name: string; args: unknown },
  decision: CallDecision,
): Promise<ApprovalState> {
  const approval: ApprovalState = {
    approval_id: approvalIdFor(state.tenant, state.run_id, call.id),
    tool_call_id: call.id,
    tool: call.name,
    args: (call.args ?? {}) as Record<string, unknown>,
    args_hash: decision.args_hash,
    rule: decision.rule,
    reason: decision.reason,
    requested_by: state.actor,
    status: "pending",
  };
  await requestApproval(kit.deps.db, {
    tenant_id: state.tenant,
    approval_id: approval.approval_id,
    run_id: state.run_id,
    thread_id: state.thread_id,
    tool_call_id: call.id,
    tool: call.name,
    args: approval.args,
    args_hash: approval.args_hash,
    rule: approval.rule,
    reason: approval.reason,
    requested_by: approval.requested_by,
  });
  kit.emit("approval.requested", {
    approval_id: approval.approval_id,
    "gen_ai.tool.name": call.name,
    "gen_ai.tool.call.id": call.id,
    args_hash: approval.args_hash,
    rule: approval.rule,
    reason: approval.reason,
    requested_by: approval.requested_by,
  });
  return approval;
}
