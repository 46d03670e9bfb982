import { callWorkflowTool, escalateWith, nodeKit, type DepsProvider } from "warden";
import { requestedChange } from "../../change-request.js";
import { {{camel}}Lookup } from "../../tools/lookup.js";
import type { {{pascal}}State, {{pascal}}Update } from "../state.js";

/** Step 1: which record should get which status, and the record as it is now (read through `{{name}}_lookup`). */
export function createLookUpNode(getDeps: DepsProvider) {
  return async function lookUp(state: {{pascal}}State): Promise<{{pascal}}Update> {
    const kit = await nodeKit(getDeps, state, "look_up");
    const change = requestedChange(state.goal, state.context);
    if (!change) {
      kit.emit("workflow.step", { step: "look_up", status: "failed", detail: "no record id and status in the request" });
      return escalateWith("the request names no record and status", "Please name the record (like {{prefix}}-101) and its new status (active, paused or archived).");
    }
    const result = await callWorkflowTool(kit, state, "look_up", {{camel}}Lookup.name, { record_id: change.record_id });
    if (result.status !== "ok") {
      kit.emit("workflow.step", { step: "look_up", status: "failed", detail: result.error.message });
      return escalateWith(`looking up ${change.record_id} failed: ${result.error.message}`, `I could not find record ${change.record_id}. A member of our team will follow up.`);
    }
    kit.emit("workflow.step", { step: "look_up", status: "ok", detail: change.record_id });
    return { change, record: result.output as Record<string, unknown>, evidence: [result.callId] };
  };
}
