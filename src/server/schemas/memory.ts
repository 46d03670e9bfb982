import { z } from "zod";
import type { Memory } from "../../memory/create-memory.js";
import { humanText, IdentifierSchema } from "./common.js";

/** Whom memory is about (e.g. a customer id): the same identifier rule as a run's `subject`. */
const SubjectSchema = IdentifierSchema.describe("The subject (e.g. a customer id).");

/** Memory ids are UUIDs, or `mem_` + 24 hex for entries a run wrote; only the format of an identifier is checked. */
const MemoryIdSchema = IdentifierSchema.describe("A memory id (a UUID, or mem_ + 24 hex for entries a run wrote).");

export const MemorySubjectParamsSchema = z.strictObject({ subject: SubjectSchema });
export const MemoryEntryParamsSchema = z.strictObject({ subject: SubjectSchema, memory_id: MemoryIdSchema });

/** One remembered fact, as the API shows it (content was redacted before it was stored). */
export const MemorySchema = z
  .object({
    memory_id: z.string(),
    subject: z.string(),
    kind: z.string().describe("e.g. preference, fact: the kind decides the retention period."),
    content: z.string().describe("Redacted when written or corrected (emails, phone and card numbers, secrets)."),
    source_run: z.string().nullable().describe("The run that wrote it, if a run did."),
    created_at: z.string(),
    expires_at: z.string().describe("When the retention sweep deletes it; it is not listed after this instant."),
    updated_at: z.string(),
  })
  .meta({ id: "Memory" });

export const MemoryListSchema = z
  .object({
    subject: z.string(),
    consent: z.boolean().describe("Whether the subject's consent is recorded (runs may store memories only then)."),
    memories: z.array(MemorySchema).describe("Unexpired entries, oldest first."),
  })
  .meta({ id: "MemoryList" });

/** The body of POST /v1/memory/:subject/consent. */
export const ConsentBodySchema = z
  .strictObject({
    granted: z.boolean().describe("true records consent; false withdraws it and deletes every entry of the subject."),
  })
  .meta({ id: "MemoryConsentRequest" });

export const ConsentResultSchema = z
  .object({
    subject: z.string(),
    granted: z.boolean(),
    deleted: z.number().int().describe("Entries deleted by a withdrawal (0 when granting)."),
  })
  .meta({ id: "MemoryConsent" });

/** The body of PATCH /v1/memory/:subject/:memory_id. */
export const CorrectionBodySchema = z
  .strictObject({ content: humanText(4000).describe("The corrected text (1..4000 characters); redacted before it is stored.") })
  .meta({ id: "MemoryCorrection" });

export const SubjectDeletionSchema = z
  .object({ subject: z.string(), deleted: z.number().int().describe("How many entries were deleted (0 when there were none).") })
  .meta({ id: "MemorySubjectDeletion" });

export const EntryDeletionSchema = z
  .object({ subject: z.string(), memory_id: z.string(), deleted: z.literal(1) })
  .meta({ id: "MemoryEntryDeletion" });

/** The API's snake_case shape of a stored memory. */
export function memoryBody(memory: Memory): z.infer<typeof MemorySchema> {
  return {
    memory_id: memory.memoryId,
    subject: memory.subject,
    kind: memory.kind,
    content: memory.content,
    source_run: memory.sourceRun,
    created_at: memory.createdAt,
    expires_at: memory.expiresAt,
    updated_at: memory.updatedAt,
  };
}
