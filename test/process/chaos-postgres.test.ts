import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { supportPack } from "../../src/packs/support/index.js";
import { openStore, type Store } from "../../src/store/open-store.js";
import { addChaosOrders, callWithRetry, ChaosWorker, chaosKeys, refundGoalOf, runFollower, sendOnce, sleep, workerEnv, type Attempt, type CallResult } from "../helpers/chaos.js";
import { createPrivateCluster, hasClusterTools, serverMajorVersion, type PrivateCluster } from "../helpers/private-cluster.js";

/**
 * Chaos, part 2 (issue 8): the database server itself stops (`pg_ctlcluster stop -m fast`) while refunds are in
 * their effect transactions. Meanwhile the API answers 503 STORE_UNAVAILABLE (never a 500) and the workers stay up;
 * once the server is back, every run in flight finishes with exactly one refund. A private cluster on a free port,
 * so the shared server is never touched; it is dropped afterwards, also on failure.
 */
const databaseUrl = process.env.DATABASE_URL;
const RUNS = 20;
const WORKERS = 2;

describe.skipIf(!databaseUrl || !hasClusterTools())("chaos: the database server restarts under load", () => {
  let cluster: PrivateCluster | undefined;
  let store: Store | undefined;
  let keys: { requester: string; approver: string };
  let orders: Array<{ orderId: string; totalCents: number }>;
  const workers: ChaosWorker[] = [];
  let failed = true;

  beforeAll(async () => {
    cluster = await createPrivateCluster(await serverMajorVersion(databaseUrl!));
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query("CREATE DATABASE warden").finally(() => admin.end());
    store = await openStore({ databaseUrl: cluster.url("warden"), packs: [supportPack] });
    keys = await chaosKeys(store.db);
    orders = await addChaosOrders(store.db, RUNS);
    // Each refund holds its effect transaction open a moment, so the stop finds refunds in flight.
    const env = workerEnv(cluster.url("warden"), { CHAOS_EFFECT_DELAY_MS: "300-1500", WARDEN_RUN_MAX_ATTEMPTS: "10" });
    for (let slot = 0; slot < WORKERS; slot++) workers.push(new ChaosWorker(slot, env));
    await Promise.all(workers.map((worker) => worker.start()));
  }, 120_000);

  afterAll(async () => {
    try {
      await Promise.all(workers.map((worker) => worker.close()));
      if (failed) {
        for (const worker of workers) console.error(worker.report());
        if (store) {
          const { rows } = await store.db.query("SELECT run_id, status, attempts, lease_owner, lease_expires_at, error FROM runs WHERE status <> 'completed'").catch(() => ({ rows: [] }));
          console.error(`runs not completed:\n${rows.map((row) => JSON.stringify(row)).join("\n")}`);
        }
      }
      await store?.close();
    } finally {
      await cluster?.drop();
    }
  }, 60_000);

  it("refunds in flight when the database stops finish once it is back, one refund each; meanwhile 503 STORE_UNAVAILABLE, never a 500, and the workers stay up", async () => {
    const startedAt = Date.now();
    const deadline = startedAt + 100_000;
    const { statuses, note, follow } = runFollower(workers, keys.requester, deadline, 30);

    // 1. Twenty refund runs wait for their approval.
    const starts = await Promise.all(
      orders.map((order, index) =>
        callWithRetry(workers, { method: "POST", path: "/v1/runs", key: keys.requester, idempotencyKey: `start-${order.orderId}`, body: { goal: refundGoalOf(order.orderId) }, prefer: index % WORKERS, deadline }).then(note),
      ),
    );
    const runIds = starts.map((start) => start.body.run_id as string);
    const waiting = await Promise.all(runIds.map((runId, index) => (starts[index]!.body.status === "waiting_approval" ? starts[index]!.body : follow(runId, "waiting_approval"))));
    for (const run of waiting) expect(run.status, JSON.stringify(run)).toBe("waiting_approval");

    // 2. All approved at once; the database stops while the refunds are being issued.
    const decisions = Promise.all(
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
    // Stop once most refunds are inside their effect transaction (each holds its order's advisory lock there).
    let inFlight = 0;
    for (let round = 0; round < 100 && inFlight < RUNS / 2; round++) {
      await sleep(50);
      inFlight = (await store!.db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted")).rows[0]!.n;
    }
    const refundedBefore = (await store!.db.query<{ n: number }>("SELECT count(*)::int AS n FROM refunds")).rows[0]!.n;
    await cluster!.stop();
    const stoppedAt = Date.now();
    expect(inFlight).toBeGreaterThan(0);
    expect(refundedBefore).toBeLessThan(RUNS);

    // 3. While it is down: every request that needs the database answers 503 STORE_UNAVAILABLE.
    const probes: Attempt[] = [];
    for (let round = 0; round < 12 && Date.now() - stoppedAt < 3000; round++) {
      const batch = workers.flatMap((worker) => [
        sendOnce(worker, { method: "GET", path: `/v1/runs/${runIds[0]}`, key: keys.requester, timeoutMs: 10_000 }),
        sendOnce(worker, { method: "GET", path: `/v1/runs/${runIds[1]}/wait?timeout_s=1`, key: keys.requester, timeoutMs: 10_000 }),
        sendOnce(worker, { method: "GET", path: "/v1/approvals", key: keys.approver, timeoutMs: 10_000 }),
        sendOnce(worker, { method: "GET", path: "/readyz", key: keys.requester, timeoutMs: 10_000 }),
        // A client retrying a start with its key: still the same run later, never a second one.
        sendOnce(worker, { method: "POST", path: "/v1/runs", key: keys.requester, idempotencyKey: `start-${orders[2]!.orderId}`, body: { goal: refundGoalOf(orders[2]!.orderId) }, timeoutMs: 10_000 }),
      ]);
      probes.push(...(await Promise.all(batch)));
      await sleep(200);
    }
    for (const probe of probes) statuses.push(probe.status ?? -1);
    expect(probes.filter((probe) => probe.status !== 503 || (probe.body as { error?: { code?: string } }).error?.code !== "STORE_UNAVAILABLE")).toEqual([]);
    expect(workers.every((worker) => worker.alive)).toBe(true);

    // 4. Back up: every decision answers its run, and every run finishes completed.
    await cluster!.start();
    const outageMs = Date.now() - stoppedAt;
    const answered = await decisions;
    answered.forEach((decision, index) => {
      expect([200, 202], JSON.stringify(decision.attempts)).toContain(decision.status);
      expect(decision.body.run_id).toBe(runIds[index]);
    });
    const finished = await Promise.all(runIds.map((runId) => follow(runId, "completed")));
    for (const run of finished) expect(run.status, JSON.stringify(run)).toBe("completed");

    // Never a 500, and the same processes served throughout.
    expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
    expect(statuses.filter((status) => status < 0)).toEqual([]);
    expect(workers.map((worker) => ({ alive: worker.alive, starts: worker.starts }))).toEqual(workers.map(() => ({ alive: true, starts: 1 })));

    const { rows: runs } = await store!.db.query<{ run_id: string; status: string; lease_owner: string | null }>("SELECT run_id, status, lease_owner FROM runs");
    expect(runs).toHaveLength(RUNS);
    expect(runs.filter((run) => run.status !== "completed" || run.lease_owner !== null)).toEqual([]);
    const { rows: refunds } = await store!.db.query<{ order_id: string; n: number; cents: number }>(
      "SELECT order_id, count(*)::int AS n, sum(amount_cents)::int AS cents FROM refunds WHERE tenant_id = 'acme' GROUP BY order_id ORDER BY order_id",
    );
    expect(refunds).toEqual(orders.map((order) => ({ order_id: order.orderId, n: 1, cents: order.totalCents })));
    const { rows: effects } = await store!.db.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM tool_effects WHERE tenant_id = 'acme' AND tool = 'issue_refund' GROUP BY status",
    );
    expect(effects).toEqual([{ status: "completed", n: RUNS }]);

    failed = false;
    console.log(
      JSON.stringify({
        chaos: "postgres",
        total_s: (Date.now() - startedAt) / 1000,
        outage_ms: outageMs,
        effects_in_flight_at_stop: inFlight,
        refunded_before_stop: refundedBefore,
        probes: probes.length,
        retried_decisions: answered.filter((decision) => decision.attempts.length > 1).length,
        statuses: Object.fromEntries([...new Set(statuses)].map((status) => [status, statuses.filter((s) => s === status).length])),
      }),
    );
  }, 150_000);
});
