import type { BaseMessage } from "@langchain/core/messages";
import { messageText } from "./message-text.js";

/** How a tool call ended, as far as the conversation tells. */
export type ToolOutcome =
  | { kind: "ok"; data: unknown }
  /** The call failed (tool error, timeout, invalid output): the answer escalates to a person. */
  | { kind: "error"; message: string }
  /**
   * Policy, permission or an approver said no: never retried, mentioned in the answer. `message` is for the
   * model and may hold operator text; only `customerReason` (a result's `customer_reason`) may be quoted.
   */
  | { kind: "denied"; message: string; customerReason?: string };

export interface TurnCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
  /** Absent while no ToolMessage answered the call. */
  outcome?: ToolOutcome;
}

/** The current turn: the latest human message and the tool calls made since. */
export interface Turn {
  goal: string;
  calls: TurnCall[];
  /** Tool calls in the whole conversation, so new call ids keep counting up across turns. */
  toolCallsSoFar: number;
  /** Entries of the long-term memory context the runtime passed (`<customer-memory>` system message), if any. */
  memory: string[];
}

const MEMORY_BLOCK = /<customer-memory[^>]*>([\s\S]*?)<\/customer-memory>/;

/** The `- (kind, date) content` lines of the memory context, as `content` strings. */
function readMemory(messages: readonly BaseMessage[]): string[] {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (message?.type !== "system") continue;
    const block = MEMORY_BLOCK.exec(messageText(message))?.[1];
    if (block === undefined) continue;
    return block
      .split("\n")
      .map((line) => /^- \([^)]*\) (.+)$/.exec(line.trim())?.[1])
      .filter((content): content is string => content !== undefined);
  }
  return [];
}

const DENIAL_CODE = /DENIED|REJECT|FORBIDDEN/i;
const DENIAL_TEXT = /\b(denied|rejected|not (allowed|permitted))\b/i;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Classifies a ToolMessage. Only error-ish content is searched for denial words: an ordinary result may
 * contain customer text ("the customer rejected the parcel") that must not read as a denial.
 */
export function classifyToolResult(text: string, status: string | undefined): ToolOutcome {
  const data = parseJson(text);
  const record = asRecord(data);
  const error = record?.error;
  const errorRecord = asRecord(error);
  const code = [errorRecord?.code, record?.code, record?.status, record?.decision, record?.effect]
    .filter((value): value is string => typeof value === "string")
    .join(" ");
  const message =
    (typeof errorRecord?.message === "string" && errorRecord.message) ||
    (typeof error === "string" && error) ||
    (typeof record?.reason === "string" && record.reason) ||
    (typeof record?.message === "string" && record.message) ||
    text;
  const customer = errorRecord?.customer_reason ?? record?.customer_reason;
  const denied = { kind: "denied" as const, message, ...(typeof customer === "string" && customer.trim() !== "" ? { customerReason: customer } : {}) };
  const failed = status === "error" || (error !== undefined && error !== null && error !== false);
  if (failed || record === undefined) {
    if (DENIAL_CODE.test(code) || DENIAL_TEXT.test(message) || (record === undefined && DENIAL_TEXT.test(text))) {
      return denied;
    }
    if (failed) return { kind: "error", message };
  } else if (/^(deny|denied|rejected)$/i.test(String(record.status ?? record.decision ?? record.effect ?? ""))) {
    return denied;
  }
  return { kind: "ok", data: data === undefined ? text : data };
}

/** Reads the conversation: the goal is the latest human message; calls and results are those after it. */
export function readTurn(messages: readonly BaseMessage[]): Turn {
  let start = 0;
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    if (messages[index]?.type === "human") {
      start = index;
      break;
    }
  }
  const goalMessage = messages[start];
  const goal = goalMessage?.type === "human" ? messageText(goalMessage) : "";
  let toolCallsSoFar = 0;
  const calls: TurnCall[] = [];
  const byId = new Map<string, TurnCall>();
  messages.forEach((message, index) => {
    if (message.type === "ai") {
      const toolCalls = (message as { tool_calls?: Array<{ id?: string; name: string; args: unknown }> }).tool_calls;
      for (const call of toolCalls ?? []) {
        toolCallsSoFar += 1;
        if (index < start) continue;
        const turnCall: TurnCall = { id: call.id ?? "", name: call.name, args: asRecord(call.args) ?? {} };
        calls.push(turnCall);
        if (call.id) byId.set(call.id, turnCall);
      }
    } else if (message.type === "tool" && index > start) {
      const { tool_call_id: toolCallId, status } = message as { tool_call_id?: string; status?: string };
      const call = toolCallId === undefined ? undefined : byId.get(toolCallId);
      if (call) call.outcome = classifyToolResult(messageText(message), status);
    }
  });
  return { goal, calls, toolCallsSoFar, memory: readMemory(messages) };
}
