import { ToolMessage } from "@langchain/core/messages";
import type { DepsProvider } from "../kernel/deps.js";
import type { CallDecision, Denial, EffectSummary, MemoryProposal, State, Update } from "../kernel/state.js";
import type { Authorization, ToolResult } from "../tools/types.js";
import { lastAiMessage } from "./agent.js";
import { customerNotices } from "./customer-notices.js";
import { customerReasonOf } from "./customer-reason.js";
import { escalateWith } from "./escalate.js";
import { FLAG_TOOL_RULE } from "./gate-tool-call.js";
import { nodeKit, type NodeKit } from "../kernel/node-kit.js";
import { callWorkflowTool } from "./call-workflow-tool.js";

function toolMessage(id: string, name: string, body: unknown, failed: boolean): ToolMessage {
  return new ToolMessage({ tool_call_id: id, name, content: JSON.stringify(body), status: failed ? "error" : "success" });
}

/**
 * The answer of a run that policy denied at the moment of an effect, drafted by `draft_response` (so it rests
 * on a tool result, as the final-answer policy asks). Falls back to a plain sentence when drafting fails. It
 * gives the rule's `customer_reason` (or a neutral notice), never the rule's `reason`: that is for operators.
 */
async function denialAnswer(kit: NodeKit, state: State, call: { name: string; args: unknown }, denial: Denial): Promise<{ answer: string; evidence: string[] }> {
  const texts = kit.deps.composition.denialsFor(call.name);
  const neutral = texts?.notice?.(call) ?? customerNotices(kit.deps.composition, state.release).requestDenied;
  const customerReason = (await customerReasonOf(kit, state, call, denial.rule, "model")) ?? neutral;
  const draft = texts?.draft?.(call, customerReason);
  const result = draft ? await callWorkflowTool(kit, state, "compose_denial", draft.tool, draft.args) : undefined;
  if (result?.status === "ok") return { answer: (result.output as { draft: string }).draft, evidence: [result.callId] };
  return { answer: `We could not complete your request. ${customerReason}`, evidence: [] };
}

/**
 * What the model is told about a call that was not authorized. Only customer-facing text: the model writes the
 * customer's answer, so the rule's operator `reason` and the approver's comment (both in the trace) are not in
 * it. `customer_reason`, when present, is the text the answer may give (the offline model quotes only that).
 */
async function refusal(kit: NodeKit, state: State, call: { name: string; args: unknown }, decision: CallDecision | undefined): Promise<Record<string, unknown>> {
  if (decision?.effect === "require_approval") return { code: "POLICY_DENIED", message: "The call was rejected by the approver. Do not retry it." };
  if (decision?.rule === FLAG_TOOL_RULE) return { code: "POLICY_DENIED", message: `${call.name} is not available right now. Do not retry it.` };
  const customerReason = decision ? await customerReasonOf(kit, state, call, decision.rule, "model") : undefined;
  return {
    code: "POLICY_DENIED",
    message: `The call was denied by policy${customerReason ? `: ${customerReason.replace(/\.$/, "")}` : ""}. Do not retry it.`,
    ...(customerReason ? { customer_reason: customerReason } : {}),
  };
}

/**
 * Runs the calls policy allowed (or a person approved, bound to the exact argument hash) through the executor.
 * Denied and rejected calls are answered to the model as tool errors, never executed. This is the only place
 * the agent path causes side effects; the executor's effect ledger makes a re-run of this node replay them.
 * A call policy denies when it decides again at the moment of the effect ends the run `denied`, with an answer
 * giving the reason: the model is not asked again, and later calls of the same turn are not executed.
 */
export function createToolsNode(getDeps: DepsProvider) {
  return async function tools(state: State): Promise<Update> {
    const kit = await nodeKit(getDeps, state, "tools");
    const permissions = kit.loaded.policy.permissionsFor(state.roles);
    const messages: ToolMessage[] = [];
    const evidence: string[] = [];
    const effects: Record<string, EffectSummary> = {};
    const proposals: MemoryProposal[] = [];
    let escalation: { reason: string; notice?: string } | undefined;
    let denied: { call: { name: string; args: unknown }; denial: Denial } | undefined;
    for (const call of lastAiMessage(state)?.tool_calls ?? []) {
      const id = call.id ?? "";
      if (denied) {
        const message = `Not executed: the run ended because policy denied ${denied.call.name}.`;
        messages.push(toolMessage(id, call.name, { error: { code: "RUN_ENDED", message } }, true));
        continue;
      }
      const decision = state.decisions[id];
      const approval = Object.values(state.approvals).find((entry) => entry.tool_call_id === id);
      let authorization: Authorization | undefined;
      if (decision?.effect === "allow") {
        authorization = { kind: "policy", decision: { point: "tool_call", ...decision }, argsHash: decision.args_hash };
      } else if (decision?.effect === "require_approval" && approval?.status === "approved") {
        authorization = { kind: "approval", approvalId: approval.approval_id, approver: approval.approver ?? "", argsHash: approval.args_hash };
      }
      if (!authorization) {
        messages.push(toolMessage(id, call.name, { error: await refusal(kit, state, call, decision) }, true));
        // A switch met at the gate ends the run as one met below does: a person follows up (same reason text).
        if (decision?.rule === FLAG_TOOL_RULE) escalation ??= { reason: decision.reason, notice: customerNotices(kit.deps.composition, state.release).unavailable };
        continue;
      }
      // Read now, not when the call was proposed: a switch set while the run waited for approval still wins.
      const disabled = kit.flags.find("tool", call.name);
      if (disabled) {
        kit.flagApplied(disabled, "call not executed; run escalated");
        const reason = `${call.name} is switched off${disabled.reason ? ` (${disabled.reason})` : ""}`;
        messages.push(toolMessage(id, call.name, { error: { code: "TOOL_DISABLED", message: `${call.name} is not available right now. The call was not executed.` } }, true));
        escalation ??= { reason, notice: customerNotices(kit.deps.composition, state.release).unavailable };
        continue;
      }
      const result: ToolResult = await kit.deps.executor.execute(
        { id, name: call.name, args: call.args },
        {
          tenant: state.tenant,
          actor: state.actor,
          runId: state.run_id,
          permissions,
          trace: kit.trace,
          authorization,
          policy: { engine: kit.loaded.policy, roles: state.roles },
          signal: kit.signal,
          node: "tools",
          origin: "model",
        },
      );
      // A failure the run's stop caused is not this step's outcome: stop here, so a resumed run runs the step again.
      if (result.status === "error" && kit.signal.aborted) kit.deps.runControl?.assertContinue(state.run_id);
      if (result.effectId) effects[result.effectId] = { effect_id: result.effectId, tool: call.name, status: result.status === "ok" ? "completed" : "failed" };
      const proposes = kit.loaded.tools.get(call.name)?.proposesMemory;
      if (result.status === "ok" && proposes) {
        // Only a proposal: memory_write decides on it (policy, consent) at the end of the run.
        proposals.push({ proposal_id: id, ...proposes(call.args), proposed_by: "model" });
      }
      if (result.status === "ok") {
        evidence.push(id);
        messages.push(toolMessage(id, call.name, result.output, false));
      } else if (result.denial) {
        // The rule and its reason are in the trace and the run's `denial`; the thread keeps only what a model may repeat.
        messages.push(toolMessage(id, call.name, { error: { code: result.error.code, message: "Denied by policy at the moment of the effect; the call was not executed. Do not retry it." } }, true));
        denied = { call: { name: call.name, args: call.args }, denial: result.denial };
      } else {
        messages.push(toolMessage(id, call.name, { error: result.error }, true));
        if (result.permanent) escalation ??= { reason: `${call.name} failed: ${result.error.message}` };
      }
    }
    const update: Update = { messages, evidence, effects, ...(proposals.length > 0 ? { memory_proposals: proposals } : {}) };
    if (!denied) return escalation ? { ...update, ...escalateWith(escalation.reason, escalation.notice) } : update;
    // The denial ends the run: an escalation an earlier call of the turn asked for gives way to it.
    const answer = await denialAnswer(kit, state, denied.call, denied.denial);
    return { ...update, answer: answer.answer, evidence: [...evidence, ...answer.evidence], status: "denied", denial: denied.denial };
  };
}
