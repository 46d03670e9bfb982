import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { AUTHENTICATED_ERRORS, errorResponses } from "../schemas/common.js";
import {
  ConsentBodySchema,
  ConsentResultSchema,
  CorrectionBodySchema,
  EntryDeletionSchema,
  MemoryEntryParamsSchema,
  memoryBody,
  MemoryListSchema,
  MemorySchema,
  MemorySubjectParamsSchema,
  SubjectDeletionSchema,
} from "../schemas/memory.js";
import { principalOf, requireRole, type RouteOptions } from "../types.js";
import { v1Base } from "./base-path.js";

/**
 * /v1/memory: a subject's long-term memory: read it, record or withdraw consent, correct an entry, erase.
 * Policy (retrieval, retention) is the tenant's active release's, applied by the runtime. Another tenant's
 * subject is simply empty and another tenant's memory id is MEMORY_NOT_FOUND, like an unknown one. Erasure is
 * admin-only: the customer-facing way to remove memory is withdrawing consent.
 */
export const memoryRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { runtime }) => {
  const base = v1Base(app);

  app.get(
    `${base}/memory/:subject`,
    {
      schema: {
        tags: ["memory"],
        summary: "List a subject's memory",
        description: "The subject's unexpired entries (oldest first) and whether consent is recorded. Any role; the retrieval policy may deny it (403 POLICY_DENIED).",
        params: MemorySubjectParamsSchema,
        response: { 200: MemoryListSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403) },
      },
    },
    async (request) => {
      const { tenant, actor, roles } = principalOf(request);
      const { subject } = request.params;
      const { memories, consent } = await runtime.memory.list(tenant, subject, { actor, roles });
      return { subject, consent, memories: memories.map(memoryBody) };
    },
  );

  app.post(
    `${base}/memory/:subject/consent`,
    {
      schema: {
        tags: ["memory"],
        summary: "Grant or withdraw a subject's consent",
        description:
          "granted: true lets runs store memories about the subject; false withdraws consent and hard-deletes every entry " +
          "of the subject (audited with your actor and the count). Role: requester or admin.",
        params: MemorySubjectParamsSchema,
        body: ConsentBodySchema,
        response: { 200: ConsentResultSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 413, 415) },
      },
    },
    async (request) => {
      const { tenant, actor, roles } = requireRole(request, "requester");
      const { subject } = request.params;
      const result = await runtime.memory.setConsent(tenant, subject, request.body.granted, { actor, roles });
      request.log.info({ subject, granted: result.granted, deleted: result.deleted }, "memory consent changed");
      return { subject, ...result };
    },
  );

  app.patch(
    `${base}/memory/:subject/:memory_id`,
    {
      schema: {
        tags: ["memory"],
        summary: "Correct a memory entry",
        description: "Replaces the entry's content (redacted before it is stored; audited). Role: requester or admin. Unknown id: 404 MEMORY_NOT_FOUND.",
        params: MemoryEntryParamsSchema,
        body: CorrectionBodySchema,
        response: { 200: MemorySchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 404, 413, 415) },
      },
    },
    async (request) => {
      const { tenant, actor, roles } = requireRole(request, "requester");
      const { subject, memory_id: memoryId } = request.params;
      return memoryBody(await runtime.memory.correct(tenant, subject, memoryId, request.body.content, { actor, roles }));
    },
  );

  app.delete(
    `${base}/memory/:subject`,
    {
      schema: {
        tags: ["memory"],
        summary: "Erase a subject's memory (admin)",
        description: "Hard-deletes every entry of the subject, audited with your actor and the count. Consent is left as it is. Role: admin.",
        params: MemorySubjectParamsSchema,
        response: { 200: SubjectDeletionSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403) },
      },
    },
    async (request) => {
      const { tenant, actor, roles } = requireRole(request, "admin");
      const { subject } = request.params;
      const { deleted } = await runtime.memory.deleteSubject(tenant, subject, { actor, roles });
      request.log.info({ subject, deleted }, "memory subject erased");
      return { subject, deleted };
    },
  );

  app.delete(
    `${base}/memory/:subject/:memory_id`,
    {
      schema: {
        tags: ["memory"],
        summary: "Erase one memory entry (admin)",
        description: "Hard-deletes the entry (audited). Role: admin. Unknown id, or an entry of another subject: 404 MEMORY_NOT_FOUND.",
        params: MemoryEntryParamsSchema,
        response: { 200: EntryDeletionSchema, ...errorResponses(...AUTHENTICATED_ERRORS, 403, 404) },
      },
    },
    async (request) => {
      const { tenant, actor, roles } = requireRole(request, "admin");
      const { subject, memory_id: memoryId } = request.params;
      await runtime.memory.deleteOne(tenant, subject, memoryId, { actor, roles });
      return { subject, memory_id: memoryId, deleted: 1 as const };
    },
  );
};
