import { Command, MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";

/**
 * `langgraph.json` points LangGraph Studio at these exports. They must be compiled without a checkpointer
 * (the dev server injects its own), must not open a database on import, and must run once one is injected.
 */
describe("graphs named in langgraph.json", () => {
  it("are exported compiled, without a checkpointer, and importing them opens nothing", async () => {
    const { readFileSync } = await import("node:fs");
    const config = JSON.parse(readFileSync("langgraph.json", "utf8")) as { graphs: Record<string, string> };
    expect(Object.keys(config.graphs).sort()).toEqual(["refund_workflow", "runtime", "support_agent"]);
    const studio = await import("../../warden.studio.js");
    for (const [name, target] of Object.entries(config.graphs)) {
      const [file, exported] = target.split(":");
      expect(file).toBe("./warden.studio.ts");
      const graph = (studio as Record<string, unknown>)[exported!] as { checkpointer?: unknown; invoke?: unknown };
      expect(typeof graph.invoke, name).toBe("function");
      expect(graph.checkpointer, name).toBeUndefined();
    }
    expect(studio.depsOpened()).toBe(false);
  });

  it("run a refund to its approval and on to the refund once a checkpointer is injected, as Studio does", async () => {
    process.env.WARDEN_DATA_DIR = "memory://";
    delete process.env.DATABASE_URL;
    const studio = await import("../../warden.studio.js");
    const graph = studio.runtime;
    graph.checkpointer = new MemorySaver();
    const config = { configurable: { thread_id: "studio-thread-1" } };
    const input = { run_id: "studio-run-1", thread_id: "studio-thread-1", tenant: "acme", actor: "alice", roles: ["requester"], goal: "Refund order A-1001, chipped mug.", release: "support@1" };
    const waiting = (await graph.invoke(input, config)) as { __interrupt__?: Array<{ value: { approval_id: string; requested_by: string } }> };
    const request = waiting.__interrupt__?.[0]?.value;
    expect(request?.requested_by).toBe("alice");

    // The requester approving their own refund is refused even when Studio drives the graph directly.
    const self = (await graph.invoke(new Command({ resume: { approval_id: request!.approval_id, decision: "approve", approver: "alice" } }), config)) as { status?: string };
    expect(self.status).toBe("denied");
    const deps = await studio.depsFromEnv();
    const { rows } = await deps.db.query<{ n: number }>("SELECT count(*)::int AS n FROM refunds WHERE tenant_id = 'acme'");
    expect(rows[0]!.n).toBe(0);

    const second = { ...input, run_id: "studio-run-2", thread_id: "studio-thread-2" };
    const config2 = { configurable: { thread_id: "studio-thread-2" } };
    const waiting2 = (await graph.invoke(second, config2)) as { __interrupt__?: Array<{ value: { approval_id: string } }> };
    const done = (await graph.invoke(new Command({ resume: { approval_id: waiting2.__interrupt__![0]!.value.approval_id, decision: "approve", approver: "bob" } }), config2)) as { status?: string };
    expect(done.status).toBe("completed");
    const after = await deps.db.query<{ n: number }>("SELECT count(*)::int AS n FROM refunds WHERE tenant_id = 'acme'");
    expect(after.rows[0]!.n).toBe(1);
    await deps.db.close();
  });
});
