import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { supportPack } from "../../src/packs/support/index.js";
import { openStore, type Store } from "../../src/store/open-store.js";
import {
  addChaosOrders,
  callWithRetry,
  ChaosWorker,
  chaosKeys,
  createDatabase,
  randomBetween,
  refundGoalOf,
  runFollower,
  sleep,
  workerEnv,
  type CallResult,
} from "../helpers/chaos.js";

/**
 * Chaos, part 1 (issue 8): the money guarantees hold while worker processes die by SIGKILL at random moments, some
 * of them inside a refund effect between the provider's write and the ledger's completion. Real Postgres, real
 * processes (test/helpers/chaos-worker.ts), a database of its own. Outcomes, not speed: every loop is bounded.
 */
const databaseUrl = process.env.DATABASE_URL;
const RUNS = 100;
const WORKERS = 3;

/** Kills a random live worker now and then, never the last one serving, until stopped or out of kills. */
function startMonkey(workers: ChaosWorker[], options: { firstAfterMs: [number, number]; gapMs: [number, number]; maxKills: number }) {
  let stopped = false;
  let kills = 0;
  const done = (async () => {
    let wait = randomBetween(...options.firstAfterMs);
    while (!stopped && kills < options.maxKills) {
      await sleep(wait);
      wait = randomBetween(...options.gapMs);
      if (stopped) break;
      const live = workers.filter((worker) => worker.alive);
      if (live.length < 2) continue;
      if (live[randomBetween(0, live.length - 1)]!.kill9()) kills++;
    }
  })();
  return {
    async stop(): Promise<number> {
      stopped = true;
      await done;
      return kills;
    },
  };
}

describe.skipIf(!databaseUrl)("chaos: workers SIGKILLed under load", () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let store: Store;
  let keys: { requester: string; approver: string };
  let orders: Array<{ orderId: string; totalCents: number }>;
  let marks: string;
  let killOrders: string[];
  const workers: ChaosWorker[] = [];
  let failed = true;

  beforeAll(async () => {
    database = await createDatabase(databaseUrl!, "chaos");
    store = await openStore({ databaseUrl: database.url, packs: [supportPack] });
    keys = await chaosKeys(store.db);
    orders = await addChaosOrders(store.db, RUNS);
    marks = mkdtempSync(join(tmpdir(), "warden-chaos-"));
    // Three orders whose refund effect certainly kills its worker once, plus a few more by chance.
    killOrders = [...orders].sort(() => Math.random() - 0.5).slice(0, 3).map((order) => order.orderId);
    const env = workerEnv(database.url, {
      CHAOS_KILL_IN_EFFECT: "0.03",
      CHAOS_KILL_ORDERS: killOrders.join(","),
      CHAOS_KILL_MARKS: marks,
      // A run executing in a worker that dies loses that attempt; several kills may hit the same run.
      WARDEN_RUN_MAX_ATTEMPTS: "10",
    });
    for (let slot = 0; slot < WORKERS; slot++) workers.push(new ChaosWorker(slot, env));
    await Promise.all(workers.map((worker) => worker.start()));
    for (const worker of workers) worker.autoRestart = true;
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    if (failed) {
      for (const worker of workers) console.error(worker.report());
      const { rows } = (await store?.db.query(
        "SELECT run_id, status, attempts, lease_owner, lease_expires_at, error, updated_at FROM runs WHERE status <> 'completed' ORDER BY updated_at LIMIT 20",
      )) ?? { rows: [] };
      console.error(`runs not completed:\n${rows.map((row) => JSON.stringify(row)).join("\n")}`);
    }
    await store?.close();
    // CHAOS_KEEP_DATABASE=1 keeps a failed run's database for a post-mortem.
    if (failed && process.env.CHAOS_KEEP_DATABASE) console.error(`kept database ${database?.url}`);
    else await database?.drop();
    if (marks) rmSync(marks, { recursive: true, force: true });
  }, 60_000);

  it("100 approved refunds are each issued exactly once while workers are SIGKILLed, also between the provider's write and the ledger's completion", async () => {
    const startedAt = Date.now();
    const deadline = startedAt + 150_000;
    const { statuses: seen, note, follow } = runFollower(workers, keys.requester, deadline, 40);

    // 1. 100 refund runs, each with its own Idempotency-Key, spread across the workers, while two of them die.
    const startMonkeyRun = startMonkey(workers, { firstAfterMs: [300, 1200], gapMs: [800, 2000], maxKills: 2 });
    let starts: CallResult[];
    let startKills = 0;
    try {
      starts = await Promise.all(
        orders.map((order, index) =>
          callWithRetry(workers, { method: "POST", path: "/v1/runs", key: keys.requester, idempotencyKey: `start-${order.orderId}`, body: { goal: refundGoalOf(order.orderId) }, prefer: index % WORKERS, deadline }).then(note),
        ),
      );
    } finally {
      startKills = await startMonkeyRun.stop();
    }
    for (const start of starts) expect([200, 202], JSON.stringify(start.body)).toContain(start.status);
    const runIds = starts.map((start) => start.body.run_id as string);
    expect(new Set(runIds).size).toBe(RUNS);
    const waiting = await Promise.all(runIds.map((runId, index) => (starts[index]!.body.status === "waiting_approval" ? starts[index]!.body : follow(runId, "waiting_approval"))));
    waiting.forEach((run, index) => {
      expect(run.status, JSON.stringify(run)).toBe("waiting_approval");
      expect(run.pending_approvals).toHaveLength(1);
      expect(run.pending_approvals[0].tool).toBe("issue_refund");
      expect(Math.round(run.pending_approvals[0].args.amount * 100)).toBe(orders[index]!.totalCents);
    });
    const startedAllAt = Date.now();

    // 2. All 100 approved at once, spread across the workers (each decision with its own key), while workers are
    // SIGKILLed at random moments and restarted, and some kill themselves inside the refund's effect transaction.
    const approveMonkey = startMonkey(workers, { firstAfterMs: [150, 600], gapMs: [500, 1500], maxKills: 5 });
    let decisions: CallResult[];
    let approveKills = 0;
    try {
      decisions = await Promise.all(
        waiting.map((run, index) =>
          callWithRetry(workers, {
            method: "POST",
            path: `/v1/approvals/${run.pending_approvals[0].approval_id}`,
            key: keys.approver,
            idempotencyKey: `approve-${orders[index]!.orderId}`,
            body: { decision: "approve" },
            prefer: (index + 1) % WORKERS,
            deadline,
          }).then(note),
        ),
      );
    } finally {
      approveKills = await approveMonkey.stop();
    }
    // A retried decision answers the run's actual outcome: the same run, never an error.
    decisions.forEach((decision, index) => {
      expect([200, 202], JSON.stringify(decision.attempts)).toContain(decision.status);
      expect(decision.body.run_id).toBe(runIds[index]);
    });

    // 3. With every worker back, every run finishes completed.
    await Promise.all(workers.map((worker) => worker.start()));
    const finished = await Promise.all(runIds.map((runId) => follow(runId, "completed")));
    for (const run of finished) expect(run.status, JSON.stringify(run)).toBe("completed");
    for (let round = 0; round < 100 && !workers.every((worker) => worker.alive); round++) await sleep(100);
    expect(workers.every((worker) => worker.alive)).toBe(true);

    // Never a 500: a dead connection is retried, a live worker answers a RunRecord.
    expect(seen.filter((status) => status >= 500 && status !== 503)).toEqual([]);
    const retried = [...starts, ...decisions].filter((result) => result.attempts.length > 1);
    // A worker writes an order's mark just before it kills itself inside that order's refund effect.
    const effectKills = readdirSync(marks);
    expect(effectKills).toEqual(expect.arrayContaining(killOrders));
    expect(retried.length).toBeGreaterThan(0);

    // One run per idempotency key, and the runs the clients were answered are those.
    const { rows: runs } = await store.db.query<{ run_id: string; idempotency_key: string; status: string; lease_owner: string | null }>(
      "SELECT run_id, idempotency_key, status, lease_owner FROM runs WHERE tenant_id = 'acme'",
    );
    expect(runs).toHaveLength(RUNS);
    const byKey = new Map(runs.map((run) => [run.idempotency_key, run]));
    orders.forEach((order, index) => expect(byKey.get(`start-${order.orderId}`)?.run_id).toBe(runIds[index]));
    expect(runs.filter((run) => run.status !== "completed")).toEqual([]);
    expect(runs.filter((run) => run.lease_owner !== null)).toEqual([]);

    // Exactly one refund per order, for the order's total, and exactly one completed ledger entry behind each.
    const { rows: refunds } = await store.db.query<{ order_id: string; n: number; cents: number; keys: string[] }>(
      "SELECT order_id, count(*)::int AS n, sum(amount_cents)::int AS cents, array_agg(idempotency_key) AS keys FROM refunds WHERE tenant_id = 'acme' GROUP BY order_id",
    );
    expect(refunds).toHaveLength(RUNS);
    const refundOf = new Map(refunds.map((refund) => [refund.order_id, refund]));
    for (const order of orders) {
      const refund = refundOf.get(order.orderId);
      expect(refund?.n, order.orderId).toBe(1);
      expect(refund?.cents, order.orderId).toBe(order.totalCents);
    }
    const { rows: effects } = await store.db.query<{ effect_id: string; run_id: string; status: string }>(
      "SELECT effect_id, run_id, status FROM tool_effects WHERE tenant_id = 'acme' AND tool = 'issue_refund'",
    );
    expect(effects.filter((effect) => effect.status === "completed")).toHaveLength(RUNS);
    expect(effects).toHaveLength(RUNS);
    expect(new Set(effects.map((effect) => effect.run_id)).size).toBe(RUNS);
    // The provider's idempotency key is the ledger's id: every refund belongs to one completed effect.
    expect(new Set(refunds.flatMap((refund) => refund.keys))).toEqual(new Set(effects.map((effect) => effect.effect_id)));
    const { rows: approvals } = await store.db.query<{ status: string; decided_by: string; n: number }>(
      "SELECT status, decided_by, count(*)::int AS n FROM approvals WHERE tenant_id = 'acme' GROUP BY status, decided_by",
    );
    expect(approvals).toEqual([{ status: "approved", decided_by: "bob", n: RUNS }]);

    failed = false;
    const restarts = workers.reduce((sum, worker) => sum + worker.starts - 1, 0);
    console.log(
      JSON.stringify({
        chaos: "kill",
        start_phase_s: (startedAllAt - startedAt) / 1000,
        total_s: (Date.now() - startedAt) / 1000,
        kills: { start_phase: startKills, approve_phase: approveKills, inside_effect: effectKills.length },
        restarts,
        retried_requests: retried.length,
        connection_failures: Object.fromEntries(
          Object.entries(
            [...starts, ...decisions].flatMap((result) => result.attempts.flatMap((attempt) => (attempt.error ? [attempt.error] : []))).reduce<Record<string, number>>((counts, error) => ({ ...counts, [error]: (counts[error] ?? 0) + 1 }), {}),
          ),
        ),
        statuses: Object.fromEntries([...new Set(seen)].map((status) => [status, seen.filter((s) => s === status).length])),
      }),
    );
  }, 180_000);
});
