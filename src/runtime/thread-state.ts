import { BaseMessage } from "@langchain/core/messages";
import { WardenError } from "../errors.js";
import type { Queryable } from "../store/db.js";
import { threadHasRunOfTenant } from "../store/threads.js";

export interface ThreadState {
  thread_id: string;
  values: Record<string, unknown>;
  next: string[];
  checkpoint_id: string | null;
  created_at?: string | null;
}

interface Snapshot {
  values: unknown;
  next: readonly string[];
  config: { configurable?: { checkpoint_id?: string } };
  createdAt?: string;
}

/** Messages as plain JSON (type, content, tool calls), everything else as stored. */
function plainValues(values: unknown): Record<string, unknown> {
  const record = (values ?? {}) as Record<string, unknown>;
  const messages = Array.isArray(record.messages)
    ? record.messages.map((message) =>
        BaseMessage.isInstance(message)
          ? {
              type: message.getType(),
              content: message.content,
              ...("tool_calls" in message && Array.isArray(message.tool_calls) && message.tool_calls.length > 0 ? { tool_calls: message.tool_calls } : {}),
              ...("tool_call_id" in message ? { tool_call_id: message.tool_call_id } : {}),
            }
          : message,
      )
    : record.messages;
  return { ...record, ...(messages !== undefined ? { messages } : {}) };
}

export function toThreadState(threadId: string, snapshot: Snapshot): ThreadState {
  return {
    thread_id: threadId,
    values: plainValues(snapshot.values),
    next: [...snapshot.next],
    checkpoint_id: snapshot.config.configurable?.checkpoint_id ?? null,
    ...(snapshot.createdAt ? { created_at: snapshot.createdAt } : {}),
  };
}

/** A thread is the tenant's only if one of its runs is: other tenants get "not found" (invariant 4). */
export async function assertThreadOfTenant(db: Queryable, tenant: string, threadId: string): Promise<void> {
  if (!(await threadHasRunOfTenant(db, tenant, threadId))) throw new WardenError("THREAD_NOT_FOUND", `Thread ${threadId} was not found.`);
}
