import { randomUUID } from "node:crypto";
import { WardenError } from "../errors.js";
import type { Db, Queryable } from "../store/db.js";
import type { Decision, PolicyContext, PolicyEngine } from "../policy/types.js";
import type { Redactor } from "../trace/redact.js";
import { audit, type MemoryAuditAction } from "../store/memory-audit.js";
import { readConsent, writeConsent } from "../store/memory-consents.js";
import {
  deleteMemoriesOfSubject,
  deleteMemory,
  findMemory,
  insertMemory,
  listMemories,
  updateMemoryContent,
  type MemoryRow,
} from "../store/memories.js";
import { sweepMemories } from "./sweep-memories.js";
import { retentionDays } from "./retention.js";
import { SNAKE_CASE_NAME_PATTERN } from "../contracts/identifiers.js";

export { type MemoryAuditAction } from "../store/memory-audit.js";
export { retentionDays } from "./retention.js";
export { SWEEP_ACTOR, sweepMemories } from "./sweep-memories.js";

/** One remembered fact about a subject, as stored (content already redacted). */
export interface Memory {
  memoryId: string;
  subject: string;
  kind: string;
  content: string;
  sourceRun: string | null;
  /** ISO timestamps. */
  createdAt: string;
  expiresAt: string;
  updatedAt: string;
}

/** Who asks. The tenant is passed separately so it cannot disagree with the policy context. */
export interface MemoryCallContext {
  actor: string;
  roles: string[];
  facts?: Record<string, unknown>;
}

export interface MemoryWriteInput {
  kind: string;
  content: string;
  sourceRun?: string | null;
  /**
   * A stable id makes the write idempotent: the graph derives it from (run, proposal), so a `memory_write` step
   * re-run after a crash finds its entry instead of storing it twice. Default: a random UUID.
   */
  memoryId?: string;
}

/** A write's outcome: `memory` is null when policy did not allow it (nothing was stored). */
export interface MemoryWriteResult {
  decision: Decision;
  memory: Memory | null;
}

export interface MemoryReadResult {
  decision: Decision;
  memories: Memory[];
}

export interface MemoryOptions {
  db: Db;
  policy: PolicyEngine;
  redactor: Redactor;
  /** Clock for created_at / expires_at; tests pin it. Default `new Date()`. */
  now?: () => Date;
}

export interface MemoryService {
  /** Lists a subject's unexpired memories after the `retrieval` point allowed it. @throws POLICY_DENIED */
  read(tenant: string, subject: string, ctx: MemoryCallContext): Promise<MemoryReadResult>;
  /**
   * Stores a redacted memory if the `memory_write` point allows it for `{ subject, kind, consent }`, where
   * consent is read from the database (never taken from the caller). A denied write stores nothing and
   * returns the decision so the caller can trace it.
   */
  write(tenant: string, subject: string, input: MemoryWriteInput, ctx: MemoryCallContext): Promise<MemoryWriteResult>;
  /** Records consent for a subject. */
  grantConsent(tenant: string, subject: string, actor: string): Promise<void>;
  /** Records the withdrawal and hard-deletes the subject's memories (audited). Returns how many were deleted. */
  withdrawConsent(tenant: string, subject: string, actor: string): Promise<{ deleted: number }>;
  /** Whether the subject currently has recorded consent. */
  hasConsent(tenant: string, subject: string): Promise<boolean>;
  /**
   * Replaces an entry's content (redacted), keeping an audit entry. With `subject`, an entry of another subject
   * is not found. @throws MEMORY_NOT_FOUND
   */
  correct(tenant: string, memoryId: string, content: string, actor: string, subject?: string): Promise<Memory>;
  /** Hard-deletes every memory of a subject (audited with actor and count). */
  deleteSubject(tenant: string, subject: string, actor: string): Promise<{ deleted: number }>;
  /** Hard-deletes one entry (audited); with `subject`, only an entry of that subject. @throws MEMORY_NOT_FOUND */
  deleteOne(tenant: string, memoryId: string, actor: string, subject?: string): Promise<{ deleted: number }>;
  /** Deletes entries expired at `now` in every tenant; one audit row per tenant and subject. */
  sweep(now?: Date): Promise<{ deleted: number }>;
}


const MAX_CONTENT = 4000;
const DAY_MS = 86_400_000;

function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function toMemory(row: MemoryRow): Memory {
  return {
    memoryId: row.memory_id,
    subject: row.subject,
    kind: row.kind,
    content: row.content,
    sourceRun: row.source_run,
    createdAt: iso(row.created_at),
    expiresAt: iso(row.expires_at),
    updatedAt: iso(row.updated_at),
  };
}

function requireText(value: unknown, what: string): string {
  if (typeof value !== "string" || value.trim().length === 0) throw new WardenError("MEMORY_INVALID", `${what} must be a non-empty string`);
  if (value.length > MAX_CONTENT) throw new WardenError("MEMORY_INVALID", `${what} is longer than ${MAX_CONTENT} characters`);
  return value;
}

/**
 * Creates the tenant-scoped memory service. Every statement filters by tenant_id, so another tenant's
 * memory id behaves exactly like an unknown one (MEMORY_NOT_FOUND).
 *
 * @example
 * const memory = createMemory({ db: store.db, policy, redactor: createRedactor() });
 * await memory.grantConsent("acme", "cust-1", "agent:ops");
 * const { decision, memory: stored } = await memory.write("acme", "cust-1", { kind: "preference", content: "Prefers email" }, ctx);
 */
export function createMemory(options: MemoryOptions): MemoryService {
  const { db, policy, redactor } = options;
  const now = options.now ?? (() => new Date());

  const policyContext = (tenant: string, ctx: MemoryCallContext): PolicyContext => ({
    tenant,
    actor: ctx.actor,
    roles: ctx.roles,
    facts: ctx.facts ?? {},
  });

  async function deleteAllOf(q: Queryable, tenant: string, subject: string, action: MemoryAuditAction, actor: string, at: Date): Promise<number> {
    const rowCount = await deleteMemoriesOfSubject(q, tenant, subject);
    await audit(q, { tenant, subject, memoryId: null, action, actor, count: rowCount, at });
    return rowCount;
  }

  return {
    async read(tenant, subject, ctx) {
      requireText(subject, "subject");
      const decision = policy.decide("retrieval", { source: "memory", subject }, policyContext(tenant, ctx));
      if (decision.effect !== "allow") {
        throw new WardenError("POLICY_DENIED", `Memory read denied: ${decision.reason}`, { details: { decision } });
      }
      const rows = await listMemories(db, tenant, subject, now());
      return { decision, memories: rows.map(toMemory) };
    },

    async write(tenant, subject, input, ctx) {
      requireText(subject, "subject");
      if (typeof input.kind !== "string" || !SNAKE_CASE_NAME_PATTERN.test(input.kind)) {
        throw new WardenError("MEMORY_INVALID", "kind must be lower-case letters, digits and _ (e.g. preference, fact)");
      }
      const content = redactor.redact(requireText(input.content, "content"));
      return db.transaction(async (tx) => {
        // FOR SHARE holds the consent row until the insert commits: a concurrent withdrawal (which updates that
        // row first) either waits and then deletes this entry too, or commits first and this write is denied.
        const consent = await readConsent(tx, tenant, subject, true);
        const decision = policy.decide("memory_write", { subject, kind: input.kind, consent }, policyContext(tenant, ctx));
        if (decision.effect !== "allow") return { decision, memory: null };
        const createdAt = now();
        const expiresAt = new Date(createdAt.getTime() + retentionDays(policy, tenant, input.kind) * DAY_MS);
        const memoryId = input.memoryId ?? randomUUID();
        const inserted = await insertMemory(tx, { tenant, memoryId, subject, kind: input.kind, content, sourceRun: input.sourceRun ?? null, createdAt, expiresAt });
        if (inserted === undefined) {
          // Written before (a re-run step): return that entry, unless it was deleted or corrected away since.
          const existing = await findMemory(tx, tenant, memoryId, subject);
          return { decision, memory: existing ? toMemory(existing) : null };
        }
        await audit(tx, { tenant, subject, memoryId, action: "write", actor: ctx.actor, count: 1, at: createdAt });
        return { decision, memory: toMemory(inserted) };
      });
    },

    async grantConsent(tenant, subject, actor) {
      requireText(subject, "subject");
      await writeConsent(db, tenant, subject, true, actor, now());
    },

    async withdrawConsent(tenant, subject, actor) {
      requireText(subject, "subject");
      return db.transaction(async (tx) => {
        const at = now();
        await writeConsent(tx, tenant, subject, false, actor, at);
        return { deleted: await deleteAllOf(tx, tenant, subject, "consent_withdrawn", actor, at) };
      });
    },

    hasConsent: (tenant, subject) => readConsent(db, tenant, subject),

    async correct(tenant, memoryId, content, actor, subject) {
      const redacted = redactor.redact(requireText(content, "content"));
      return db.transaction(async (tx) => {
        const at = now();
        const row = await updateMemoryContent(tx, tenant, memoryId, redacted, at, subject);
        if (row === undefined) throw new WardenError("MEMORY_NOT_FOUND", `No memory ${memoryId}`);
        await audit(tx, { tenant, subject: row.subject, memoryId, action: "correct", actor, count: 1, at });
        return toMemory(row);
      });
    },

    async deleteSubject(tenant, subject, actor) {
      requireText(subject, "subject");
      return db.transaction(async (tx) => ({ deleted: await deleteAllOf(tx, tenant, subject, "delete", actor, now()) }));
    },

    async deleteOne(tenant, memoryId, actor, subject) {
      return db.transaction(async (tx) => {
        const deletedSubject = await deleteMemory(tx, tenant, memoryId, subject);
        if (deletedSubject === undefined) throw new WardenError("MEMORY_NOT_FOUND", `No memory ${memoryId}`);
        await audit(tx, { tenant, subject: deletedSubject, memoryId, action: "delete", actor, count: 1, at: now() });
        return { deleted: 1 };
      });
    },

    sweep: (at = now()) => sweepMemories(db, at),
  };
}
