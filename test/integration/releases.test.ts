import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isWardenError, type WardenError } from "../../src/errors.js";
import { loadRelease, PROJECT_ROOT } from "../../src/kernel/release.js";
import { resolveReleaseRoutes } from "../../src/kernel/release-routes.js";
import { messageText } from "../../src/nodes/agent.js";
import { aiText, aiToolCall, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import { supportTools } from "../../src/packs/support/tools/index.js";
import { releaseContentHash } from "../../src/runtime/release-content-hash.js";
import config from "../../warden.config.js";
import { onBackends, type MakeRuntime } from "../helpers/fixtures.js";
import { createEvalRoot } from "../helpers/eval-root.js";
import { recordPassingEval } from "../helpers/eval-gate.js";
import { addOrder, refundGoal, requester } from "../helpers/runtime.js";

function errorOf(action: () => unknown): WardenError {
  try {
    action();
  } catch (error) {
    return error as WardenError;
  }
  throw new Error("expected an error");
}

const question = { ...requester, goal: "What is your refund policy for damaged items?" };

// One store per describe, as each sets up its own releases.
const activeReleases = onBackends();
const listedRoutes = onBackends();

describe.each(activeReleases)("active releases on $name", ({ it }) => {
  // `runtime` is asked for so that it opens before support@2 passes its gate, as it always did.
  it.beforeAll(async ({ store, runtime: _opened }) => {
    // support@2 is a promotion: it passes the gate as after a successful `warden eval` (test/promotion.test.ts tests the gate).
    await recordPassingEval(store.db, "support@2");
  });

  it("lists the release files and starts from the configured default", async ({ runtime }) => {
    expect(runtime.releases.list().map((release) => release.id)).toEqual(expect.arrayContaining(["support@1", "support@2"]));
    expect(await runtime.releases.active("acme")).toEqual({ tenant: "acme", release_id: "support@1", source: "default" });
    expect((await runtime.start(question)).release).toBe("support@1");
  });

  it("activation changes the next run's release (prompt and trace) in a running process; reactivating the previous one rolls back", async ({ runtime, makeRuntime }) => {
    const model = new ScriptedChatModel([aiText("Damaged items are refunded."), aiText("Damaged items are refunded.")]);
    const other = await makeRuntime({ model }); // another process's view: it never hears of the activation

    const active = await runtime.releases.activate("acme", "support@2", "ops");
    expect(active).toMatchObject({ release_id: "support@2", source: "activated", activated_by: "ops" });
    const upgraded = await other.start(question);
    expect(upgraded.release).toBe("support@2");
    expect(messageText(model.calls[0]!.messages[0]!)).toContain("say which policy rule applies");
    const events = await other.getTrace("acme", upgraded.run_id);
    expect(new Set(events.map((event) => event.release))).toEqual(new Set(["support@2"]));

    await runtime.releases.activate("acme", "support@1", "ops");
    const rolledBack = await other.start(question);
    expect(rolledBack.release).toBe("support@1");
    expect(messageText(model.calls[1]!.messages[0]!)).not.toContain("say which policy rule applies");
    expect((await runtime.releases.history("acme")).map((row) => row.release_id).slice(0, 2)).toEqual(["support@1", "support@2"]);
  });

  it("a run that names a release uses it, and other tenants keep theirs", async ({ runtime }) => {
    await runtime.releases.activate("acme", "support@2", "ops");
    expect((await runtime.start({ ...question, release: "support@1" })).release).toBe("support@1");
    expect((await runtime.start({ tenant: "globex", actor: "gina", roles: ["requester"], goal: question.goal })).release).toBe("support@1");
    await runtime.releases.activate("acme", "support@1", "ops");
  });

  it("refuses to activate a release that does not exist, and keeps the active one", async ({ runtime }) => {
    const error = await runtime.releases.activate("acme", "support@99", "ops").catch((caught: unknown) => caught);
    expect(isWardenError(error, "RELEASE_NOT_FOUND")).toBe(true);
    expect((await runtime.releases.active("acme")).release_id).toBe("support@1");
  });
});

describe("release files: workflows and agents", () => {
  const root = createEvalRoot();
  const base = root.json("releases/support@1.json");
  const { workflows: _workflows, agents: _agents, ...shared } = base;
  root.write("releases/legacy@1.json", JSON.stringify({ ...shared, id: "legacy@1", workflow: "refund_workflow@1", agent: { max_steps: 3 } }));
  root.write("releases/mixed@1.json", JSON.stringify({ ...shared, id: "mixed@1", workflow: "refund_workflow@1", workflows: ["refund_workflow@1"], agents: [{ node: "support_agent" }] }));
  root.write("releases/noagent@1.json", JSON.stringify({ ...shared, id: "noagent@1", workflows: [], agents: [] }));
  afterAll(() => root.remove());

  it("the shipped releases list one workflow and one agent with its step bound", () => {
    expect(loadRelease("support@2")).toMatchObject({ workflows: ["refund_workflow@1"], agents: [{ node: "support_agent", max_steps: 6 }], model_routing: false });
  });

  it("an older file with one workflow and one agent still loads, normalised to the lists (the agent entry stands for every agent)", () => {
    const legacy = loadRelease("legacy@1", root.root);
    expect(legacy).toMatchObject({ workflows: ["refund_workflow@1"], agents: [{ node: "*", max_steps: 3 }], model_routing: false });
    expect(legacy).not.toHaveProperty("workflow");
    expect(legacy).not.toHaveProperty("agent");
    const routes = resolveReleaseRoutes(legacy, config.composition);
    expect(routes.defaultAgent).toBe("support_agent");
    expect(routes.maxStepsOf("support_agent")).toBe(3);
  });

  it("refuses a file giving both forms, or listing no agent", () => {
    const mixed = errorOf(() => loadRelease("mixed@1", root.root));
    expect(isWardenError(mixed, "RELEASE_INVALID")).toBe(true);
    expect(JSON.stringify(mixed.details)).toContain("not both");
    expect(isWardenError(errorOf(() => loadRelease("noagent@1", root.root)), "RELEASE_INVALID")).toBe(true);
  });

  it("a workflow or agent no pack declares is RELEASE_INVALID, naming it", () => {
    const release = { ...loadRelease("support@1"), id: "ghost@1", workflows: ["refund_workflow@2"], agents: [{ node: "ghost_agent", max_steps: 6 }] };
    const error = errorOf(() => resolveReleaseRoutes(release, config.composition));
    expect(isWardenError(error, "RELEASE_INVALID")).toBe(true);
    expect(error.message).toContain("workflow refund_workflow@2 and agent ghost_agent");
    expect(error.details).toEqual({ release: "ghost@1", unknown: ["workflow refund_workflow@2", "agent ghost_agent"] });
  });

  it("the content hash covers the listed workflows and agents", () => {
    root.write("evals/datasets/support@1.jsonl", readFileSync(join(PROJECT_ROOT, "evals/datasets/support@1.jsonl"), "utf8"));
    const hash = (release: Record<string, unknown>) => {
      root.write("releases/hashed@1.json", JSON.stringify({ ...shared, id: "hashed@1", ...release }));
      return releaseContentHash("hashed@1", { root: root.root, tools: supportTools });
    };
    const first = hash({ workflows: ["refund_workflow@1"], agents: [{ node: "support_agent", max_steps: 6 }] });
    const steps = hash({ workflows: ["refund_workflow@1"], agents: [{ node: "support_agent", max_steps: 5 }] });
    const noWorkflow = hash({ workflows: [], agents: [{ node: "support_agent", max_steps: 6 }] });
    const routed = hash({ workflows: ["refund_workflow@1"], agents: [{ node: "support_agent", max_steps: 6 }], model_routing: true });
    expect(new Set([first, steps, noWorkflow, routed].map((result) => result.parts.routes)).size).toBe(4);
    expect(steps.parts.prompt).toBe(first.parts.prompt);
  });
});

describe.each(listedRoutes)("a release routes only to what it lists, on $name", ({ it }) => {
  const root = createEvalRoot();
  const base = root.json("releases/support@1.json");
  const { workflows: _workflows, agents: _agents, ...shared } = base;
  root.write("releases/legacy@1.json", JSON.stringify({ ...shared, id: "legacy@1", workflow: "refund_workflow@1", agent: { max_steps: 2 } }));
  root.write("releases/agentonly@1.json", JSON.stringify({ ...shared, id: "agentonly@1", workflows: [], agents: [{ node: "support_agent", max_steps: 3 }] }));
  root.write("releases/ghost@1.json", JSON.stringify({ ...shared, id: "ghost@1", workflows: ["refund_workflow@2"], agents: [{ node: "support_agent" }] }));
  const on = (makeRuntime: MakeRuntime, model?: ScriptedChatModel) => makeRuntime({ root: root.root, ...(model ? { model } : {}) });
  const looping = (turns: number) => new ScriptedChatModel(Array.from({ length: turns }, (_, turn) => aiToolCall("lookup_order", { order_id: "A-1001" }, `call_loop_${turn}`)));

  afterAll(() => root.remove());

  it("a workflow the release does not list is not routed to: the request goes to the agent, which is bounded by its entry's max_steps", async ({ makeRuntime }) => {
    const model = looping(3);
    const runtime = await on(makeRuntime, model);
    const record = await runtime.start({ ...requester, goal: refundGoal("A-1001"), release: "agentonly@1" });
    expect(record.route).toBe("support_agent");
    expect(record.status).toBe("escalated");
    expect(model.calls).toHaveLength(3);
    model.assertComplete();
    const decided = (await runtime.getTrace("acme", record.run_id)).find((event) => event.kind === "route.decided")!;
    expect(decided.attributes).toEqual({ route: "support_agent", reason: "refund_workflow@1 is not in release agentonly@1; routed to the agent", by: "rule" });
  });

  it("an older release file runs as before: its workflow is listed and its agent step bound applies", async ({ store, makeRuntime }) => {
    const refund = await (await on(makeRuntime)).start({ ...requester, goal: refundGoal(await addOrder(store.db)), release: "legacy@1" });
    expect(refund.route).toBe("refund_workflow");
    const model = looping(2);
    const open = await (await on(makeRuntime, model)).start({ ...requester, goal: "Where is my order A-1001?", release: "legacy@1" });
    expect(open).toMatchObject({ route: "support_agent", status: "escalated" });
    model.assertComplete();
  });

  it("a release listing a workflow no pack declares is refused at start and at activation, naming it; the active release stays", async ({ makeRuntime }) => {
    const runtime = await on(makeRuntime);
    const started = await runtime.start({ ...requester, goal: "Where is my order?", release: "ghost@1" }).catch((error: unknown) => error);
    expect(isWardenError(started, "RELEASE_INVALID")).toBe(true);
    expect((started as Error).message).toContain("workflow refund_workflow@2");
    const activated = await runtime.releases.activate("acme", "ghost@1", "ops", { force: true, reason: "try" }).catch((error: unknown) => error);
    expect(isWardenError(activated, "RELEASE_INVALID")).toBe(true);
    expect((await runtime.releases.active("acme")).release_id).toBe("support@1");
  });
});
