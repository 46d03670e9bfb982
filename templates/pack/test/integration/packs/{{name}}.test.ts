import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "warden";
import type { Store } from "../../../src/store/open-store.js";
import config from "../../../warden.config.js";
import { backends } from "../../helpers/backends.js";

/** The {{name}} pack through the runtime, as warden.config.ts composes it, on its own release. */
const RELEASE = "{{name}}@1";
const requester = { tenant: "acme", actor: "alice", roles: ["requester"], release: RELEASE };

describe.each(backends)("the {{name}} pack on $name", (backend) => {
  let store: Store;
  let runtime: Runtime;

  beforeAll(async () => {
    // With every pack's tables and seed, as `warden migrate` makes them.
    store = await backend.open({ packs: [...config.packs] });
    // No env: the offline model, whatever the shell holds (OPENAI_API_KEY included).
    runtime = await createRuntime({ store, env: {} });
    // A fresh database is migrated and seeded first: allow for a loaded machine.
  }, 120_000);
  afterAll(async () => {
    await runtime?.close();
    await store?.close();
  });

  it("stops a status change for approval, and a second person's approval applies it exactly once", async () => {
    const waiting = await runtime.start({ ...requester, goal: "Set {{prefix}}-101 to paused." });
    expect(waiting.route).toBe("{{name}}_workflow");
    expect(waiting.status).toBe("waiting_approval");
    expect(waiting.pending_approvals).toEqual([
      expect.objectContaining({ tool: "{{name}}_update", rule: "{{kebab}}-update-requires-approval", args: { record_id: "{{prefix}}-101", status: "paused" } }),
    ]);
    expect(waiting.effects).toEqual([]);

    const done = await runtime.decide({ tenant: "acme", approvalId: waiting.pending_approvals[0]!.approval_id, decision: "approve", approver: "bob", roles: ["approver"] });
    expect(done.status).toBe("completed");
    expect(done.answer).toContain("{{prefix}}-101 is now paused");
    expect(done.effects).toEqual([expect.objectContaining({ tool: "{{name}}_update", status: "completed" })]);
  });

  it("denies changing an archived record before anyone is asked to approve it", async () => {
    const run = await runtime.start({ ...requester, goal: "Set {{prefix}}-103 to active." });
    expect(run.status).toBe("denied");
    expect(run.pending_approvals).toEqual([]);
    expect(run.effects).toEqual([]);
  });

  it("answers a question through its agent, which reads the record with the lookup tool (offline model)", async () => {
    const run = await runtime.start({ ...requester, goal: "What is the status of record {{prefix}}-102?" });
    expect(run.route).toBe("{{name}}_agent");
    expect(run.status).toBe("completed");
    const calls = (await runtime.getTrace("acme", run.run_id)).filter((event) => event.kind === "tool.call");
    expect(calls.map((event) => [event.attributes["gen_ai.tool.name"], event.attributes.status])).toEqual([["{{name}}_lookup", "ok"]]);
    expect(run.effects).toEqual([]);
  });
});
