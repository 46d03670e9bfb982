import type { State } from "../kernel/state.js";
import type { Authorization, ToolResult } from "../tools/types.js";
import { gateToolCall } from "./gate-tool-call.js";
import { workflowCallId, type NodeKit } from "../kernel/node-kit.js";

/**
 * A workflow step's tool call: through policy like any call (a deny is returned as a result, not thrown), then
 * through the executor. Calls with an effect pass the authorization their step earned (allow or approval) and
 * the release's policy, which the executor asks again at the moment of the effect.
 */
export async function callWorkflowTool(
  kit: NodeKit,
  state: State,
  step: string,
  name: string,
  args: Record<string, unknown>,
  authorization?: Authorization,
): Promise<ToolResult & { callId: string }> {
  const callId = workflowCallId(step);
  // Checked before policy and the executor, at the step itself: an approval given before the switch was set
  // does not carry the call past it.
  const disabled = kit.flags.find("tool", name);
  if (disabled) {
    kit.flagApplied(disabled, "call not executed; run escalated");
    return { callId, status: "error", permanent: true, error: { code: "TOOL_DISABLED", message: `${name} is switched off${disabled.reason ? ` (${disabled.reason})` : ""}` } };
  }
  let granted = authorization;
  if (!granted) {
    const { decision } = await gateToolCall(kit, state, { id: callId, name, args }, { proposedBy: "workflow", requestApproval: false });
    if (decision.effect !== "allow") {
      return { callId, status: "error", permanent: true, error: { code: "POLICY_DENIED", message: `${name}: ${decision.reason}` } };
    }
    granted = { kind: "policy", decision: { point: "tool_call", ...decision }, argsHash: decision.args_hash };
  }
  const result = await kit.deps.executor.execute(
    { id: callId, name, args },
    {
      tenant: state.tenant,
      actor: state.actor,
      runId: state.run_id,
      permissions: kit.loaded.policy.permissionsFor(state.roles),
      trace: kit.trace,
      authorization: granted,
      policy: { engine: kit.loaded.policy, roles: state.roles },
      signal: kit.signal,
      node: step,
      origin: "workflow",
    },
  );
  // A failure the run's stop caused is not this step's outcome: stop here, so a resumed run runs the step again.
  if (result.status === "error" && kit.signal.aborted) kit.deps.runControl?.assertContinue(state.run_id);
  return { ...result, callId };
}
