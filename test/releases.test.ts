import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isWardenError } from "../src/errors.js";
import { messageText } from "../src/nodes/agent.js";
import { aiText, ScriptedChatModel } from "../src/model/scripted-chat-model.js";
import type { Runtime } from "../src/runtime/create-runtime.js";
import type { Store } from "../src/store/open-store.js";
import { backends } from "./helpers/backends.js";
import { recordPassingEval } from "./helpers/eval-gate.js";
import { requester, runtimeOn } from "./helpers/runtime.js";

const question = { ...requester, goal: "What is your refund policy for damaged items?" };

describe.each(backends)("active releases on $name", (backend) => {
  let store: Store;
  let runtime: Runtime;
  const extra: Runtime[] = [];

  beforeAll(async () => {
    store = await backend.open();
    runtime = await runtimeOn(store);
    // support@2 is a promotion: it passes the gate as after a successful `warden eval` (test/promotion.test.ts tests the gate).
    await recordPassingEval(store.db, "support@2");
  });
  afterAll(async () => {
    for (const created of [runtime, ...extra]) await created.close();
    await store.close();
  });

  it("lists the release files and starts from the configured default", async () => {
    expect(runtime.releases.list().map((release) => release.id)).toEqual(expect.arrayContaining(["support@1", "support@2"]));
    expect(await runtime.releases.active("acme")).toEqual({ tenant: "acme", release_id: "support@1", source: "default" });
    expect((await runtime.start(question)).release).toBe("support@1");
  });

  it("activation changes the next run's release (prompt and trace) in a running process; reactivating the previous one rolls back", async () => {
    const model = new ScriptedChatModel([aiText("Damaged items are refunded."), aiText("Damaged items are refunded.")]);
    const other = await runtimeOn(store, { model }); // another process's view: it never hears of the activation
    extra.push(other);

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

  it("a run that names a release uses it, and other tenants keep theirs", async () => {
    await runtime.releases.activate("acme", "support@2", "ops");
    expect((await runtime.start({ ...question, release: "support@1" })).release).toBe("support@1");
    expect((await runtime.start({ tenant: "globex", actor: "gina", roles: ["requester"], goal: question.goal })).release).toBe("support@1");
    await runtime.releases.activate("acme", "support@1", "ops");
  });

  it("refuses to activate a release that does not exist, and keeps the active one", async () => {
    const error = await runtime.releases.activate("acme", "support@99", "ops").catch((caught: unknown) => caught);
    expect(isWardenError(error, "RELEASE_NOT_FOUND")).toBe(true);
    expect((await runtime.releases.active("acme")).release_id).toBe("support@1");
  });
});
