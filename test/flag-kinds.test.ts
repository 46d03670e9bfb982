import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isWardenError } from "../src/errors.js";
import { messageText } from "../src/nodes/agent.js";
import { aiText, ScriptedChatModel } from "../src/model/scripted-chat-model.js";
import type { Runtime } from "../src/runtime/create-runtime.js";
import type { Store } from "../src/store/open-store.js";
import type { TraceEvent } from "../src/trace/types.js";
import { backends } from "./helpers/backends.js";
import { addOrder, refundGoal, requester, runtimeOn } from "./helpers/runtime.js";

const question = { ...requester, goal: "What is your refund policy for damaged items?" };
const PROMPT_2_LINE = "say which policy rule applies";

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => "resolved",
    (caught: unknown) => (isWardenError(caught) ? caught.code : caught),
  );
}

const applied = (events: TraceEvent[]) => events.filter((event) => event.kind === "flag.applied").map((event) => event.attributes);

describe.each(backends)("each kind of rollback switch on $name", (backend) => {
  let store: Store;
  let runtime: Runtime;
  const extra: Runtime[] = [];
  const scripted = async (options: Parameters<typeof runtimeOn>[1]) => {
    const created = await runtimeOn(store, options);
    extra.push(created);
    return created;
  };
  const runs = async () => (await store.db.query("SELECT 1 FROM runs WHERE tenant_id = 'acme'")).rowCount;

  beforeAll(async () => {
    store = await backend.open();
    runtime = await runtimeOn(store);
  });
  afterEach(async () => {
    await store.db.query("DELETE FROM flags");
  });
  afterAll(async () => {
    for (const created of [runtime, ...extra]) await created.close();
    await store.close();
  });

  it("a workflow switched off in agent mode sends its requests to the agent path", async () => {
    await runtime.flags.set({ tenant: "acme", kind: "workflow", target: "refund_workflow@1", mode: "agent", setBy: "ops" });
    const record = await runtime.start({ ...requester, goal: refundGoal(await addOrder(store.db)) });
    expect(record.route).toBe("support_agent");
    const events = await runtime.getTrace("acme", record.run_id);
    expect(applied(events)).toEqual([expect.objectContaining({ flag: "workflow", target: "refund_workflow@1", action: "routed to support_agent" })]);
    expect(events.some((event) => event.kind === "workflow.step")).toBe(false);
  });

  it("a workflow switched off in refuse mode refuses its requests with ROUTE_DISABLED; questions still run", async () => {
    await runtime.flags.set({ tenant: "acme", kind: "workflow", target: "refund_workflow@1", mode: "refuse", setBy: "ops" });
    const before = await runs();
    expect(await codeOf(runtime.start({ ...requester, goal: refundGoal(await addOrder(store.db)) }))).toBe("ROUTE_DISABLED");
    expect(await runs()).toBe(before);
    expect((await runtime.start(question)).status).toBe("completed");
  });

  it("the agent route switched off refuses open questions; the refund workflow still runs", async () => {
    await runtime.flags.set({ tenant: "acme", kind: "agent", reason: "prompt injection incident", setBy: "ops" });
    const error = await runtime.start(question).catch((caught: unknown) => caught);
    expect(isWardenError(error, "ROUTE_DISABLED") && error.message).toContain("prompt injection incident");
    expect((await runtime.start({ ...requester, goal: refundGoal(await addOrder(store.db)) })).status).toBe("waiting_approval");
  });

  it("a prompt version switched off falls back to the release's previous prompt", async () => {
    const model = new ScriptedChatModel([aiText("Damaged items are refunded."), aiText("Damaged items are refunded.")]);
    const agent = await scripted({ model });
    const first = await agent.start({ ...question, release: "support@2" });
    expect(messageText(model.calls[0]!.messages[0]!)).toContain(PROMPT_2_LINE);
    expect(applied(await agent.getTrace("acme", first.run_id))).toEqual([]);

    await agent.flags.set({ tenant: "acme", kind: "prompt", target: "prompts/support@2.md", setBy: "ops" });
    const fallen = await agent.start({ ...question, release: "support@2" });
    expect(model.calls).toHaveLength(2);
    expect(messageText(model.calls[1]!.messages[0]!)).toContain("You are Warden's customer support agent");
    expect(messageText(model.calls[1]!.messages[0]!)).not.toContain(PROMPT_2_LINE);
    expect(applied(await agent.getTrace("acme", fallen.run_id))).toEqual([expect.objectContaining({ flag: "prompt", target: "support@2", action: "prompt fell back to support@1" })]);
  });

  it("a prompt with no earlier version switched off stops the run instead of running without a prompt", async () => {
    await runtime.flags.set({ tenant: "acme", kind: "prompt", target: "prompts/support@1.md", setBy: "ops" });
    const record = await runtime.start(question);
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "ROUTE_DISABLED" });
  });

  it("a model switched off falls back to the fallback model; with none the agent stops", async () => {
    const primary = new ScriptedChatModel([aiText("from the primary")]);
    const fallback = new ScriptedChatModel([aiText("from the fallback")]);
    const agent = await scripted({ model: primary, fallbackModel: fallback });
    await agent.flags.set({ tenant: "acme", kind: "model", target: "gpt-4.1-mini", setBy: "ops" });
    const record = await agent.start(question);
    expect(fallback.calls).toHaveLength(1);
    expect(primary.calls).toHaveLength(0);
    expect(record.status).not.toBe("failed");
    expect(applied(await agent.getTrace("acme", record.run_id))).toEqual([expect.objectContaining({ flag: "model", target: "gpt-4.1-mini", action: "model fell back to the configured fallback" })]);

    const stopped = await runtime.start(question); // support@1 declares no fallback_model
    expect(stopped.status).toBe("failed");
    expect(stopped.error).toMatchObject({ code: "ROUTE_DISABLED" });
  });
});
