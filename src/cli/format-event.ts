import type { TraceEvent } from "../trace/types.js";

const text = (value: unknown) => (value === undefined || value === null ? "" : String(value));
const shorten = (value: string, max = 90) => (value.length > max ? `${value.slice(0, max - 1)}…` : value);

/** One readable line per trace event, for the demo and `warden` CLI output. */
export function formatEvent(event: TraceEvent): string {
  const a = event.attributes;
  let detail: string;
  switch (event.kind) {
    case "run.started":
      detail = `${text(a.actor)}: "${shorten(text(a.goal), 70)}"`;
      break;
    case "route.decided":
      detail = `${text(a.route)} (${text(a.reason)})`;
      break;
    case "workflow.step":
      detail = `${text(a.step)} ${text(a.status)}${a.detail ? ` — ${shorten(text(a.detail), 70)}` : ""}`;
      break;
    case "model.call": {
      const calls = Array.isArray(a.tool_calls) ? a.tool_calls.map((call) => text((call as Record<string, unknown>)["gen_ai.tool.name"])) : [];
      detail = `${text(a["gen_ai.request.model"])} in ${text(a["gen_ai.usage.input_tokens"])} / out ${text(a["gen_ai.usage.output_tokens"])} tokens → ${calls.length ? `calls ${calls.join(", ")}` : "answer"}`;
      break;
    }
    case "tool.call":
      detail = `${text(a["gen_ai.tool.name"])} ${text(a.status)} (${text(a.latency_ms)} ms${a.retries ? `, ${text(a.retries)} retries` : ""}${a.effect_id ? `, effect ${text(a.effect_id)}` : ""})${a.error_message ? ` — ${shorten(text(a.error_message), 60)}` : ""}`;
      break;
    case "policy.decision":
      detail = `${text(a.point)}${a["gen_ai.tool.name"] ? ` ${text(a["gen_ai.tool.name"])}` : ""} → ${text(a.effect)} [${text(a.rule)}]`;
      break;
    case "approval.requested":
      detail = `${text(a.approval_id)} for ${text(a["gen_ai.tool.name"])} — ${shorten(text(a.reason), 60)}`;
      break;
    case "approval.resolved":
      detail = `${text(a.approval_id)} ${text(a.decision)} by ${text(a.approver)}`;
      break;
    case "memory.read":
      detail = `${text(a.subject)}: ${text(a.count)} entr${a.count === 1 ? "y" : "ies"}${a.effect === "deny" ? ` — denied [${text(a.rule)}]` : ""}`;
      break;
    case "memory.write":
      detail = `${text(a.subject) || "(no subject)"} ${text(a.kind)} → ${a.stored ? `stored until ${text(a.expires_at).slice(0, 10)}` : `not stored [${text(a.rule)}]`}`;
      break;
    case "flag.applied":
      detail = `${text(a.flag)} ${text(a.target)} (${text(a.scope)}) — ${text(a.action)}`;
      break;
    case "eval.result":
      detail = `${text(a.evaluator)}: ${a.pass ? "pass" : "FAIL"}`;
      break;
    case "run.finished":
      detail = `${text(a.status)}`;
      break;
    case "run.failed":
      detail = `${text(a.error_code)}: ${text(a.error_message)}`;
      break;
    default:
      detail = shorten(JSON.stringify(a));
  }
  return `${String(event.seq).padStart(4)}  ${event.kind.padEnd(18)} ${detail}`;
}
