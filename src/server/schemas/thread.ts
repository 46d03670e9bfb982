import { z } from "zod";

/** A checkpoint of a thread, as LangGraph's getState reports it (messages as plain JSON). */
export const ThreadStateSchema = z
  .object({
    thread_id: z.string(),
    values: z.record(z.string(), z.unknown()),
    next: z.array(z.string()).describe("Nodes that run next; empty when the thread is idle."),
    checkpoint_id: z.string().nullable(),
    created_at: z.string().nullable().optional(),
  })
  .meta({ id: "ThreadState" });

export const ThreadHistoryQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe("How many checkpoints, newest first (1..100)."),
});

export const ThreadHistorySchema = z.object({ states: z.array(ThreadStateSchema) }).meta({ id: "ThreadHistory" });
