import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isWardenError } from "../../src/errors.js";
import { createMemory, retentionDays, SWEEP_ACTOR, type MemoryService } from "../../src/memory/create-memory.js";
import { createPolicyEngine } from "../../src/policy/create-policy-engine.js";
import { loadPolicyEngine } from "../../src/policy/load-policy.js";
import type { PolicyEngine } from "../../src/policy/types.js";
import { openStore, type Store } from "../../src/store/open-store.js";
import { createRedactor } from "../../src/trace/redact.js";
import { backends } from "../helpers/backends.js";

const REFUNDS_PATH = join(import.meta.dirname, "..", "..", "policies", "refunds@1.json");
const DAY_MS = 86_400_000;
const T0 = new Date("2026-03-01T12:00:00.000Z");
const ctx = { actor: "agent:support", roles: ["requester"] };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

interface AuditRow {
  subject: string;
  memory_id: string | null;
  action: string;
  actor: string;
  count: number;
}

describe.each(backends)("memory on $name", (backend) => {
  let store: Store;
  let policy: PolicyEngine;
  let memory: MemoryService;
  let clock = T0;

  const rows = async (tenant: string, subject: string) =>
    (await store.db.query<{ memory_id: string; kind: string; content: string; expires_at: Date }>(
      "SELECT memory_id, kind, content, expires_at FROM memories WHERE tenant_id = $1 AND subject = $2 ORDER BY created_at, memory_id",
      [tenant, subject],
    )).rows;
  const audits = async (tenant: string, subject: string) =>
    (await store.db.query<AuditRow>(
      "SELECT subject, memory_id, action, actor, count FROM memory_audit WHERE tenant_id = $1 AND subject = $2 ORDER BY at, action, count",
      [tenant, subject],
    )).rows;
  /** Grants consent and writes one entry, returning its id. */
  const remember = async (tenant: string, subject: string, content = "Prefers email over phone", kind = "preference") => {
    await memory.grantConsent(tenant, subject, "agent:ops");
    const { memory: stored } = await memory.write(tenant, subject, { kind, content, sourceRun: "run-1" }, ctx);
    expect(stored).not.toBeNull();
    return stored!.memoryId;
  };

  beforeAll(async () => {
    store = await backend.open();
    policy = await loadPolicyEngine(REFUNDS_PATH);
    memory = createMemory({ db: store.db, policy, redactor: createRedactor(), now: () => clock });
  });

  afterAll(async () => {
    await store?.close();
  });

  it("denies a write without recorded consent, stores nothing, and says why", async () => {
    const result = await memory.write("acme", "cust-no-consent", { kind: "fact", content: "Has two dogs" }, ctx);
    expect(result.memory).toBeNull();
    expect(result.decision).toMatchObject({ point: "memory_write", effect: "deny", rule: "default:memory_write", policy: "refunds@1" });
    expect(result.decision.reason.length).toBeGreaterThan(0);
    expect(await rows("acme", "cust-no-consent")).toEqual([]);

    // Consent granted in another tenant does not count here.
    await memory.grantConsent("globex", "cust-no-consent", "agent:ops");
    const again = await memory.write("acme", "cust-no-consent", { kind: "fact", content: "Has two dogs" }, ctx);
    expect(again.decision.effect).toBe("deny");
    expect(await rows("acme", "cust-no-consent")).toEqual([]);
  });

  it("stores a consented write redacted: card numbers and emails never reach the table", async () => {
    await memory.grantConsent("acme", "cust-redact", "agent:ops");
    const result = await memory.write(
      "acme",
      "cust-redact",
      { kind: "fact", content: "Paid with 4111 1111 1111 1111, reach her at jane.doe@example.com", sourceRun: "run-42" },
      ctx,
    );
    expect(result.decision).toMatchObject({ point: "memory_write", effect: "allow", rule: "memory-write-needs-consent" });
    expect(result.memory).toMatchObject({ subject: "cust-redact", kind: "fact", sourceRun: "run-42" });
    const [row] = await rows("acme", "cust-redact");
    expect(row!.content).toBe("Paid with [card], reach her at [email]");
    expect(row!.content).not.toContain("4111");
    expect(row!.content).not.toContain("example.com");
    expect(await audits("acme", "cust-redact")).toEqual([
      { subject: "cust-redact", memory_id: row!.memory_id, action: "write", actor: "agent:support", count: 1 },
    ]);
  });

  it("sets expires_at from the policy's retention period for the kind", async () => {
    await memory.grantConsent("acme", "cust-retention", "agent:ops");
    const kinds = { preference: 365, fact: 90, note: 30 } as const;
    for (const [kind, days] of Object.entries(kinds)) {
      const { memory: stored } = await memory.write("acme", "cust-retention", { kind, content: `a ${kind}` }, ctx);
      expect(stored!.createdAt).toBe(T0.toISOString());
      expect(stored!.expiresAt).toBe(new Date(T0.getTime() + days * DAY_MS).toISOString());
    }
    const stored = await rows("acme", "cust-retention");
    const byKind = Object.fromEntries(stored.map((row) => [row.kind, new Date(row.expires_at).getTime() - T0.getTime()]));
    expect(byKind).toEqual(Object.fromEntries(Object.entries(kinds).map(([kind, days]) => [kind, days * DAY_MS])));
  });

  it("refuses to store memory when the policy has no retention table (never keeps forever)", async () => {
    const noRetention = createPolicyEngine({
      id: "no-retention",
      version: 1,
      description: "allows memory but forgets to set retention",
      params: { defaults: {} },
      roles: {},
      defaults: { retrieval: "allow", memory_write: "allow", tool_call: "allow", outbound_message: "deny", final_answer: "allow" },
      rules: [],
    });
    const service = createMemory({ db: store.db, policy: noRetention, redactor: createRedactor(), now: () => clock });
    const error = await rejection(service.write("acme", "cust-no-retention", { kind: "fact", content: "x" }, ctx));
    expect(isWardenError(error, "POLICY_INVALID")).toBe(true);
    expect(await rows("acme", "cust-no-retention")).toEqual([]);
    expect(retentionDays(policy, "globex", "unknown_kind")).toBe(30);
  });

  it("reads through the retrieval point: only the tenant's unexpired entries; a denial is a typed error", async () => {
    await remember("acme", "cust-read", "Speaks French");
    await remember("globex", "cust-read", "Globex-only note");
    const { decision, memories } = await memory.read("acme", "cust-read", ctx);
    expect(decision).toMatchObject({ point: "retrieval", effect: "allow" });
    expect(memories.map((entry) => entry.content)).toEqual(["Speaks French"]);

    const denying = createPolicyEngine({
      id: "no-reads",
      version: 1,
      description: "denies retrieval",
      params: { defaults: {} },
      roles: {},
      defaults: { retrieval: "deny", memory_write: "deny", tool_call: "allow", outbound_message: "deny", final_answer: "allow" },
      rules: [],
    });
    const service = createMemory({ db: store.db, policy: denying, redactor: createRedactor(), now: () => clock });
    const error = await rejection(service.read("acme", "cust-read", ctx));
    expect(isWardenError(error, "POLICY_DENIED")).toBe(true);
    expect((error as { details: { decision: { point: string } } }).details.decision.point).toBe("retrieval");
  });

  it("sweeps only expired entries and audits how many per subject", async () => {
    await memory.grantConsent("acme", "cust-sweep", "agent:ops");
    await memory.write("acme", "cust-sweep", { kind: "note", content: "short-lived" }, ctx); // 30 days
    await memory.write("acme", "cust-sweep", { kind: "note", content: "short-lived too" }, ctx); // 30 days
    await memory.write("acme", "cust-sweep", { kind: "fact", content: "kept longer" }, ctx); // 90 days

    const { deleted } = await memory.sweep(new Date(T0.getTime() + 31 * DAY_MS));
    expect(deleted).toBeGreaterThanOrEqual(2); // other tests' 30-day notes may expire too
    expect((await rows("acme", "cust-sweep")).map((row) => row.kind)).toEqual(["fact"]);
    expect((await audits("acme", "cust-sweep")).filter((row) => row.action === "sweep")).toEqual([
      { subject: "cust-sweep", memory_id: null, action: "sweep", actor: SWEEP_ACTOR, count: 2 },
    ]);
    // Nothing else expired yet: a second sweep at the same instant deletes nothing and audits nothing new.
    expect(await memory.sweep(new Date(T0.getTime() + 31 * DAY_MS))).toEqual({ deleted: 0 });
    expect((await audits("acme", "cust-sweep")).filter((row) => row.action === "sweep")).toHaveLength(1);
  });

  it("hides expired entries from reads before the sweep runs", async () => {
    await memory.grantConsent("acme", "cust-expired-read", "agent:ops");
    await memory.write("acme", "cust-expired-read", { kind: "note", content: "stale soon" }, ctx);
    clock = new Date(T0.getTime() + 30 * DAY_MS);
    try {
      expect((await memory.read("acme", "cust-expired-read", ctx)).memories).toEqual([]);
    } finally {
      clock = T0;
    }
  });

  it("corrects content (redacted) and leaves an audit row", async () => {
    const id = await remember("acme", "cust-correct", "Lives in Lyon");
    clock = new Date(T0.getTime() + DAY_MS);
    try {
      const corrected = await memory.correct("acme", id, "Lives in Paris, call +1 555-123-4567", "agent:alice");
      expect(corrected).toMatchObject({ memoryId: id, content: "Lives in Paris, call [phone]", updatedAt: clock.toISOString() });
      expect(corrected.expiresAt).toBe(new Date(T0.getTime() + 365 * DAY_MS).toISOString());
    } finally {
      clock = T0;
    }
    expect((await rows("acme", "cust-correct"))[0]!.content).toBe("Lives in Paris, call [phone]");
    expect((await audits("acme", "cust-correct")).map((row) => [row.action, row.actor, row.memory_id, row.count])).toEqual([
      ["write", "agent:support", id, 1],
      ["correct", "agent:alice", id, 1],
    ]);
  });

  it("withdrawing consent deletes the subject's memories, audits it, and denies later writes", async () => {
    await remember("acme", "cust-withdraw", "one");
    await remember("acme", "cust-withdraw", "two");
    await remember("globex", "cust-withdraw", "globex keeps this");
    expect(await memory.withdrawConsent("acme", "cust-withdraw", "customer:self")).toEqual({ deleted: 2 });
    expect(await rows("acme", "cust-withdraw")).toEqual([]);
    expect(await rows("globex", "cust-withdraw")).toHaveLength(1);
    expect(await memory.hasConsent("acme", "cust-withdraw")).toBe(false);
    expect((await audits("acme", "cust-withdraw")).filter((row) => row.action === "consent_withdrawn")).toEqual([
      { subject: "cust-withdraw", memory_id: null, action: "consent_withdrawn", actor: "customer:self", count: 2 },
    ]);
    const after = await memory.write("acme", "cust-withdraw", { kind: "fact", content: "three" }, ctx);
    expect(after).toMatchObject({ memory: null, decision: { effect: "deny" } });
    expect(await rows("acme", "cust-withdraw")).toEqual([]);
  });

  it("never keeps an entry written concurrently with a withdrawal", async () => {
    for (let round = 0; round < 5; round++) {
      const subject = `cust-race-${round}`;
      await memory.grantConsent("acme", subject, "agent:ops");
      const writes = Array.from({ length: 4 }, (_, i) => memory.write("acme", subject, { kind: "fact", content: `fact ${i}` }, ctx));
      await Promise.all([...writes, memory.withdrawConsent("acme", subject, "customer:self")]);
      // Whatever the interleaving: the withdrawal deleted what was written before it, and denied what came after.
      expect(await rows("acme", subject), subject).toEqual([]);
    }
  });

  it("deleteSubject and deleteOne hard-delete and audit who and how many", async () => {
    const keep = await remember("acme", "cust-delete", "a");
    await remember("acme", "cust-delete", "b");
    const single = await remember("acme", "cust-delete", "c");

    expect(await memory.deleteOne("acme", single, "admin:bob")).toEqual({ deleted: 1 });
    expect((await rows("acme", "cust-delete")).map((row) => row.memory_id)).not.toContain(single);
    expect(await memory.deleteSubject("acme", "cust-delete", "admin:carol")).toEqual({ deleted: 2 });
    expect(await rows("acme", "cust-delete")).toEqual([]);
    const deletes = (await audits("acme", "cust-delete")).filter((row) => row.action === "delete");
    expect(deletes).toEqual([
      { subject: "cust-delete", memory_id: single, action: "delete", actor: "admin:bob", count: 1 },
      { subject: "cust-delete", memory_id: null, action: "delete", actor: "admin:carol", count: 2 },
    ]);
    // Deleted means gone: correcting or deleting it again is "not found".
    expect(isWardenError(await rejection(memory.correct("acme", keep, "x", "admin:bob")), "MEMORY_NOT_FOUND")).toBe(true);
  });

  it("treats another tenant's memory id as not found and changes nothing", async () => {
    const id = await remember("acme", "cust-isolated", "acme's secret-free note");
    const before = await rows("acme", "cust-isolated");

    expect(isWardenError(await rejection(memory.correct("globex", id, "overwritten", "admin:evil")), "MEMORY_NOT_FOUND")).toBe(true);
    expect(isWardenError(await rejection(memory.deleteOne("globex", id, "admin:evil")), "MEMORY_NOT_FOUND")).toBe(true);
    expect(await memory.deleteSubject("globex", "cust-isolated", "admin:evil")).toEqual({ deleted: 0 });
    expect((await memory.read("globex", "cust-isolated", ctx)).memories).toEqual([]);

    expect(await rows("acme", "cust-isolated")).toEqual(before);
    expect((await audits("acme", "cust-isolated")).map((row) => row.action)).toEqual(["write"]);
  });

  it("rejects malformed writes before asking the policy", async () => {
    await memory.grantConsent("acme", "cust-invalid", "agent:ops");
    for (const input of [{ kind: "Bad Kind", content: "x" }, { kind: "fact", content: "   " }]) {
      expect(isWardenError(await rejection(memory.write("acme", "cust-invalid", input, ctx)), "MEMORY_INVALID")).toBe(true);
    }
    expect(await rows("acme", "cust-invalid")).toEqual([]);
  });
});

describe("warden memory sweep (a child process on a PGlite data dir)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "warden-memory-"));
  const env = { ...process.env, WARDEN_DATA_DIR: dataDir, DATABASE_URL: "", OPENAI_API_KEY: "" };

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("deletes expired entries, keeps the rest, audits, and prints how many", async () => {
    const policy = await loadPolicyEngine(REFUNDS_PATH);
    let store = await openStore({ dataDir });
    try {
      const memory = createMemory({ db: store.db, policy, redactor: createRedactor(), now: () => T0 });
      await memory.grantConsent("acme", "cust-cli", "agent:ops");
      await memory.write("acme", "cust-cli", { kind: "note", content: "expired long ago" }, ctx);
      // Written "now": a preference is kept for a year, so the sweep must leave it.
      const fresh = createMemory({ db: store.db, policy, redactor: createRedactor() });
      await fresh.write("acme", "cust-cli", { kind: "preference", content: "still valid" }, ctx);
    } finally {
      await store.close();
    }

    const child = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "memory", "sweep"], { env, encoding: "utf8", timeout: 60_000 });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout.trim())).toEqual({ deleted: 1 });

    store = await openStore({ dataDir, seed: false });
    try {
      const { rows } = await store.db.query<{ content: string }>("SELECT content FROM memories WHERE tenant_id = 'acme' AND subject = 'cust-cli'");
      expect(rows.map((row) => row.content)).toEqual(["still valid"]);
      const audit = await store.db.query<{ actor: string; count: number }>("SELECT actor, count FROM memory_audit WHERE tenant_id = 'acme' AND action = 'sweep'");
      expect(audit.rows).toEqual([{ actor: SWEEP_ACTOR, count: 1 }]);
    } finally {
      await store.close();
    }

    const bad = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "memory", "forget"], { env, encoding: "utf8", timeout: 60_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("VALIDATION_FAILED");
  }, 90_000);
});
