import { describe, expect } from "vitest";
import { checkpointThreadId } from "../../src/store/checkpoint-thread.js";
import { onBackends } from "../helpers/fixtures.js";
import { addOrder, refundGoal, requester } from "../helpers/runtime.js";

/**
 * Found by the chaos suite (test/chaos-kill.test.ts): with async durability a step's writes are saved before the
 * checkpoint that applies them, so a crash can leave a thread whose latest checkpoint has every task's writes saved
 * and no checkpoint after it. LangGraph's `next` is then empty although the graph has not finished; the recovery
 * took that for "finished" and recorded a refund request `completed`, with no route, no answer and no approval.
 */
const suites = onBackends({ runtime: { runs: { leaseMs: 2000, retryDelayMs: 10, pollMs: 100 } } });

describe.each(suites)("recovering a run after a crash between a step's writes and its checkpoint, on $name", ({ it }) => {
  it("continues the graph instead of recording it finished", async ({ store, runtime }) => {
    const orderId = await addOrder(store.db);
    const first = await runtime.start({ ...requester, goal: refundGoal(orderId) });
    expect(first.status).toBe("waiting_approval");
    const thread = checkpointThreadId("acme", first.thread_id);

    // What the crash left: the thread's checkpoints up to the one where `intake` ran (its writes saved), nothing after.
    const { rows } = await store.db.query<{ checkpoint_id: string }>(
      "SELECT checkpoint_id FROM checkpoints WHERE thread_id = $1 AND checkpoint_ns = '' AND (metadata->>'step')::int = 0",
      [thread],
    );
    const stepZero = rows[0]!.checkpoint_id;
    await store.db.query("DELETE FROM checkpoints WHERE thread_id = $1 AND (checkpoint_ns <> '' OR checkpoint_id > $2)", [thread, stepZero]);
    await store.db.query("DELETE FROM checkpoint_writes WHERE thread_id = $1 AND (checkpoint_ns <> '' OR checkpoint_id > $2)", [thread, stepZero]);
    await store.db.query("DELETE FROM approvals WHERE tenant_id = 'acme' AND run_id = $1", [first.run_id]);
    const snapshot = await runtime.graph.getState({ configurable: { thread_id: thread } });
    expect(snapshot.next).toEqual([]);
    expect(snapshot.tasks.map((task) => task.name)).toEqual(["intake"]);
    // ...and the run as its dead owner left it: running, lease expired.
    await store.db.query(
      `UPDATE runs SET status = 'running', lease_owner = 'ghost', lease_token = lease_token + 1, attempts = 1,
              lease_expires_at = now() - interval '1 second', updated_at = now() - interval '10 seconds'
       WHERE tenant_id = 'acme' AND run_id = $1`,
      [first.run_id],
    );

    expect(await runtime.sweep()).toBeGreaterThanOrEqual(1);
    const recovered = await runtime.wait("acme", first.run_id, 30_000);
    expect(recovered.status).toBe("waiting_approval");
    expect(recovered.route).toBe("refund_workflow");
    expect(recovered.pending_approvals.map((approval) => approval.tool)).toEqual(["issue_refund"]);
  });
});
