import type { InjectOptions } from "light-my-request";
import { afterAll, describe, expect } from "vitest";
import { aiText, ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import { createRuntime, type Runtime } from "../../src/runtime/create-runtime.js";
import { createApp, type WardenApp } from "../../src/server/create-app.js";
import { claimIdempotencyKey, completeIdempotencyKey, readIdempotencyKey, sweepIdempotencyKeys } from "../../src/store/idempotency.js";
import type { Store } from "../../src/store/open-store.js";
import { onBackends } from "../helpers/fixtures.js";
import { countRows as count, expectErrorShape, startTestServer, type TestKey } from "../helpers/server.js";

const runsWithKeyOn = (store: Store) => (key: string) => count(store, "SELECT count(*)::int AS n FROM runs WHERE idempotency_key = $1", [key]);
const startRunOn = (app: WardenApp) => (key: TestKey, idempotencyKey: string, payload: unknown, target: WardenApp = app) =>
  target.inject({ method: "POST", url: "/v1/runs", headers: { ...key.headers, "idempotency-key": idempotencyKey }, payload: payload as InjectOptions["payload"] });

const suites = onBackends().map((suite) => ({
  ...suite,
  it: suite.it
    .extend("runsWithKey", { scope: "file" }, async ({ store }) => runsWithKeyOn(store))
    .extend("startRun", { scope: "file" }, async ({ app }) => startRunOn(app)),
}));

/** Idempotency-Key over HTTP (Stripe semantics) and the records behind it. */
describe.each(suites)("idempotency keys on $name", ({ it }) => {
  describe("idempotency keys", () => {
    it("replays the first response byte for byte for the same key and body, without running again", async ({ store, keys, runsWithKey, startRun }) => {
      const idem = `replay-${Date.now()}`;
      const first = await startRun(keys.requester, idem, { goal: "Where is my order A-1001?", context: { channel: "web", locale: "en" } });
      expect(first.statusCode).toBe(200);
      expect(first.headers["idempotent-replayed"]).toBeUndefined();
      expect(await runsWithKey(idem)).toBe(1);
      const runsBefore = await count(store, "SELECT count(*)::int AS n FROM runs");
      // Same body with its keys in another order: the same request.
      const again = await startRun(keys.requester, idem, { context: { locale: "en", channel: "web" }, goal: "Where is my order A-1001?" });
      expect(again.statusCode).toBe(first.statusCode);
      expect(again.body).toBe(first.body);
      expect(again.headers["content-type"]).toBe(first.headers["content-type"]);
      expect(again.headers["idempotent-replayed"]).toBe("true");
      expect(await count(store, "SELECT count(*)::int AS n FROM runs")).toBe(runsBefore);
    });

    it("answers 422 IDEMPOTENCY_MISMATCH for the same key with a different body, and scopes keys per tenant", async ({ keys, runsWithKey, startRun }) => {
      const idem = `mismatch-${Date.now()}`;
      expect((await startRun(keys.requester, idem, { goal: "Where is my order A-1001?" })).statusCode).toBe(200);
      const other = await startRun(keys.requester, idem, { goal: "Where is my order A-1002?" });
      expect(other.statusCode).toBe(422);
      expectErrorShape(other.body, "IDEMPOTENCY_MISMATCH");
      // The same key in another tenant is another key: it runs.
      const globex = await startRun(keys.otherTenant, idem, { goal: "Where is my order G-2001?" });
      expect(globex.statusCode).toBe(200);
      expect(globex.json()).toMatchObject({ tenant: "globex" });
      expect(await runsWithKey(idem)).toBe(2);
    });

    it("a retry while the first request still runs gets the same run's outcome (no 409, no second run), then replays", async ({ store, runsWithKey, startRun }) => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const model = new ScriptedChatModel([
        async () => {
          await gate;
          return aiText("Order A-1001 was delivered 5 days ago.");
        },
        aiText("Order A-1001 was delivered 5 days ago."),
        aiText("Order A-1001 was delivered 5 days ago."),
      ]);
      const slow = await startTestServer(store, { model });
      try {
        const idem = `in-flight-${Date.now()}`;
        const body = { goal: "Where is my order A-1001?" };
        const first = startRun(slow.keys.requester, idem, body, slow.app);
        for (let attempt = 0; attempt < 200 && model.calls.length === 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
        expect(model.calls.length).toBe(1);
        const during = startRun(slow.keys.requester, idem, body, slow.app);
        release();
        const done = await first;
        expect(done.statusCode).toBe(200);
        const retried = await during;
        expect(retried.statusCode).toBe(200);
        const outcome = JSON.parse(done.body) as { run_id: string; status: string };
        expect(outcome.status).not.toMatch(/^(queued|running)$/);
        expect(JSON.parse(retried.body)).toMatchObject({ run_id: outcome.run_id, status: outcome.status });
        const after = await startRun(slow.keys.requester, idem, body, slow.app);
        expect(after.body).toBe(done.body);
        expect(after.headers["idempotent-replayed"]).toBe("true");
        expect(await runsWithKey(idem)).toBe(1);
      } finally {
        release();
        await slow.close();
      }
    });

    it("runs a request once when five copies with one key arrive together: each answers that one run", async ({ keys, runsWithKey, startRun }) => {
      const idem = `burst-${Date.now()}`;
      const responses = await Promise.all(Array.from({ length: 5 }, () => startRun(keys.requester, idem, { goal: "Where is my order A-1002?" })));
      const records = responses.map((response) => {
        expect(response.statusCode).toBe(200);
        return JSON.parse(response.body) as { run_id: string; status: string };
      });
      expect(new Set(records.map((record) => record.run_id)).size).toBe(1);
      expect(new Set(records.map((record) => record.status))).toEqual(new Set(["completed"]));
      expect(await runsWithKey(idem)).toBe(1);
    });

    it("refuses a malformed Idempotency-Key with 400 and runs nothing", async ({ store, app, keys }) => {
      const runsBefore = await count(store, "SELECT count(*)::int AS n FROM runs");
      for (const bad of ["", "x".repeat(256), "tab\there", "ключ"]) {
        const response = await app.inject({ method: "POST", url: "/v1/runs", headers: { ...keys.requester.headers, "idempotency-key": bad }, payload: { goal: "Where is my order A-1001?" } });
        expect(response.statusCode, JSON.stringify(bad)).toBe(400);
        expectErrorShape(response.body, "VALIDATION_FAILED");
      }
      expect(await count(store, "SELECT count(*)::int AS n FROM runs")).toBe(runsBefore);
    });
  });

  describe("idempotency records", () => {
    it("lets a retry take over a claim whose request died, and the dead claim can no longer record anything", async ({ store }) => {
      const claim = { tenant: "acme", key: `stale-${Date.now()}`, requestHash: "h1", inFlightTtlMs: 60_000 };
      const dead = await claimIdempotencyKey(store.db, claim);
      expect(dead).toBeDefined();
      expect(await claimIdempotencyKey(store.db, claim)).toBeUndefined();
      await store.db.query("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE tenant_id = 'acme' AND key = $1", [claim.key]);
      const retry = await claimIdempotencyKey(store.db, claim);
      expect(retry).toBeDefined();
      expect(await completeIdempotencyKey(store.db, dead!, { statusCode: 200, body: "old", contentType: "application/json", ttlMs: 60_000 })).toBe(false);
      expect(await completeIdempotencyKey(store.db, retry!, { statusCode: 200, body: "new", contentType: "application/json", ttlMs: 60_000 })).toBe(true);
      expect((await readIdempotencyKey(store.db, "acme", claim.key))?.response_body).toBe("new");
    });

    it("sweeps expired records and keeps live ones", async ({ store }) => {
      const live = await claimIdempotencyKey(store.db, { tenant: "acme", key: `live-${Date.now()}`, requestHash: "h", inFlightTtlMs: 60_000 });
      const old = await claimIdempotencyKey(store.db, { tenant: "acme", key: `old-${Date.now()}`, requestHash: "h", inFlightTtlMs: 60_000 });
      await store.db.query("UPDATE idempotency_keys SET expires_at = now() - interval '1 day' WHERE key = $1", [old!.key]);
      expect(await sweepIdempotencyKeys(store.db)).toBeGreaterThanOrEqual(1);
      expect(await count(store, "SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1", [old!.key])).toBe(0);
      expect(await count(store, "SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1", [live!.key])).toBe(1);
    });
  });

  describe("idempotency for routes with their own outcome", () => {
    let runtime: Runtime;
    let custom: WardenApp;
    let calls = 0;
    let admin: TestKey;

    it.beforeAll(async ({ store, server }) => {
      runtime = await createRuntime({ store, env: {} });
      custom = createApp({ runtime });
      // A route that fails with a 5xx once, and a streaming route that records its own outcome.
      custom.post("/v1/test/flaky", { config: { idempotent: true } }, async () => {
        calls++;
        if (calls === 1) throw new Error("boom: secret detail");
        return { calls };
      });
      custom.post("/v1/test/stream", { config: { idempotent: true } }, async (request, reply) => {
        calls++;
        reply.hijack();
        reply.raw.writeHead(200, { "content-type": "text/event-stream" });
        reply.raw.write("data: hello\n\n");
        if ((request.body as { record?: boolean }).record) await request.idempotency?.complete(200, `{"calls":${calls}}`);
        reply.raw.end();
      });
      await custom.ready();
      admin = await server.makeKey("acme", "idem-admin", ["admin"]);
    });
    afterAll(async () => {
      await custom?.close();
      await runtime?.close();
    });

    const post = (url: string, idem: string, payload: unknown) =>
      custom.inject({ method: "POST", url, headers: { ...admin.headers, "idempotency-key": idem }, payload: payload as InjectOptions["payload"] });

    it("answers a 500 INTERNAL with a generic message, and lets a retry with the same key run again", async () => {
      calls = 0;
      const failed = await post("/v1/test/flaky", "flaky-1", { a: 1 });
      expect(failed.statusCode).toBe(500);
      expectErrorShape(failed.body, "INTERNAL");
      expect(failed.body).not.toContain("secret detail");
      const retried = await post("/v1/test/flaky", "flaky-1", { a: 1 });
      expect(retried.statusCode).toBe(200);
      expect(retried.json()).toEqual({ calls: 2 });
    });

    it("replays what a hijacking route recorded through request.idempotency, and frees the key when it recorded nothing", async () => {
      calls = 0;
      expect((await post("/v1/test/stream", "stream-recorded", { record: true })).body).toBe("data: hello\n\n");
      const replayed = await post("/v1/test/stream", "stream-recorded", { record: true });
      expect(replayed.body).toBe('{"calls":1}');
      expect(replayed.headers["idempotent-replayed"]).toBe("true");
      expect(calls).toBe(1);

      expect((await post("/v1/test/stream", "stream-unrecorded", { record: false })).statusCode).toBe(200);
      expect((await post("/v1/test/stream", "stream-unrecorded", { record: false })).body).toBe("data: hello\n\n");
      expect(calls).toBe(3);
    });
  });
});
