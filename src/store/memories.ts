import type { Queryable } from "./db.js";

/** The `memories` table. Every statement filters by tenant (invariant 4): another tenant's id is not found. */
export interface MemoryRow {
  memory_id: string;
  subject: string;
  kind: string;
  content: string;
  source_run: string | null;
  created_at: Date | string;
  expires_at: Date | string;
  updated_at: Date | string;
}

export interface NewMemory {
  tenant: string;
  memoryId: string;
  subject: string;
  kind: string;
  content: string;
  sourceRun: string | null;
  createdAt: Date;
  expiresAt: Date;
}

const COLUMNS = "memory_id, subject, kind, content, source_run, created_at, expires_at, updated_at";

/** A subject's memories unexpired at `at`, oldest first. */
export async function listMemories(q: Queryable, tenant: string, subject: string, at: Date): Promise<MemoryRow[]> {
  const { rows } = await q.query<MemoryRow>(
    `SELECT ${COLUMNS} FROM memories WHERE tenant_id = $1 AND subject = $2 AND expires_at > $3 ORDER BY created_at, memory_id`,
    [tenant, subject, at],
  );
  return rows;
}

/** Inserts an entry once; undefined when its id exists already (a re-run step wrote it before). */
export async function insertMemory(q: Queryable, memory: NewMemory): Promise<MemoryRow | undefined> {
  const { rows } = await q.query<MemoryRow>(
    `INSERT INTO memories (tenant_id, memory_id, subject, kind, content, source_run, created_at, expires_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) ON CONFLICT (tenant_id, memory_id) DO NOTHING RETURNING ${COLUMNS}`,
    [memory.tenant, memory.memoryId, memory.subject, memory.kind, memory.content, memory.sourceRun, memory.createdAt, memory.expiresAt],
  );
  return rows[0];
}

/** One entry of a subject, or undefined. */
export async function findMemory(q: Queryable, tenant: string, memoryId: string, subject: string): Promise<MemoryRow | undefined> {
  const { rows } = await q.query<MemoryRow>(`SELECT ${COLUMNS} FROM memories WHERE tenant_id = $1 AND memory_id = $2 AND subject = $3`, [tenant, memoryId, subject]);
  return rows[0];
}

/** Replaces an entry's content; with `subject`, only an entry of that subject. Undefined when none matched. */
export async function updateMemoryContent(
  q: Queryable,
  tenant: string,
  memoryId: string,
  content: string,
  at: Date,
  subject: string | undefined,
): Promise<MemoryRow | undefined> {
  const { rows } = await q.query<MemoryRow>(
    `UPDATE memories SET content = $3, updated_at = $4
           WHERE tenant_id = $1 AND memory_id = $2 AND ($5::text IS NULL OR subject = $5) RETURNING ${COLUMNS}`,
    [tenant, memoryId, content, at, subject ?? null],
  );
  return rows[0];
}

/** Deletes every entry of a subject; returns how many went. */
export async function deleteMemoriesOfSubject(q: Queryable, tenant: string, subject: string): Promise<number> {
  const { rowCount } = await q.query("DELETE FROM memories WHERE tenant_id = $1 AND subject = $2", [tenant, subject]);
  return rowCount;
}

/** Deletes one entry (with `subject`, only an entry of that subject); returns its subject, or undefined when none matched. */
export async function deleteMemory(q: Queryable, tenant: string, memoryId: string, subject: string | undefined): Promise<string | undefined> {
  const { rows } = await q.query<{ subject: string }>(
    "DELETE FROM memories WHERE tenant_id = $1 AND memory_id = $2 AND ($3::text IS NULL OR subject = $3) RETURNING subject",
    [tenant, memoryId, subject ?? null],
  );
  return rows[0]?.subject;
}

/** Deletes the entries of every tenant expired at `at`; returns the tenant and subject of each deleted entry. */
export async function deleteExpiredMemories(q: Queryable, at: Date): Promise<Array<{ tenant_id: string; subject: string }>> {
  const { rows } = await q.query<{ tenant_id: string; subject: string }>("DELETE FROM memories WHERE expires_at <= $1 RETURNING tenant_id, subject", [at]);
  return rows;
}
