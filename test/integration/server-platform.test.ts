import { readFileSync } from "node:fs";
import type { InjectOptions } from "light-my-request";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES, WardenError, type ErrorCode } from "../../src/errors.js";
import { createRuntime, type Runtime } from "../../src/runtime/create-runtime.js";
import { keyIdOf } from "../../src/server/api-keys.js";
import { createApp, type WardenApp } from "../../src/server/create-app.js";
import { toErrorReply } from "../../src/server/error-response.js";
import { HTTP_STATUS } from "../../src/server/http-status.js";
import type { Store } from "../../src/store/open-store.js";
import { backends } from "../helpers/backends.js";
import { onBackends } from "../helpers/fixtures.js";
import { countRows as count, expectErrorShape, startTestServer, type TestKey, type TestServer } from "../helpers/server.js";

/**
 * The server platform: auth, errors and hostile requests, rate limit, health, metrics, docs and logging.
 * Idempotency and stopping/restarting have their own files; the routes have theirs.
 */

/** POST /v1/admin/keys with a key (or none) and extra headers. */
const createKeyWith = (app: WardenApp) => (key: TestKey | undefined, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: "POST", url: "/v1/admin/keys", headers: { ...(key?.headers ?? {}), ...headers }, payload: payload as InjectOptions["payload"] });

const suites = onBackends().map((suite) => ({
  ...suite,
  it: suite.it
    .extend("inject", { scope: "file" }, async ({ app }) => (options: InjectOptions) => app.inject(options))
    .extend("createKey", { scope: "file" }, async ({ app }) => createKeyWith(app)),
}));

describe.each(suites)("server platform on $name", ({ it, backend }) => {

  describe("authentication and roles", () => {
    it("answers 401 UNAUTHENTICATED without a key, with a malformed header or key, and with an unknown key", async ({ store, keys, createKey }) => {
      const unknown = `wdn_0123456789abcdef_${"A".repeat(43)}`;
      const cases: Array<Record<string, string>> = [
        {},
        { authorization: "" },
        { authorization: keys.admin.key },
        { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` },
        { authorization: "Bearer " },
        { authorization: "Bearer not-a-key" },
        { authorization: `Bearer ${keys.admin.key}x` },
        { authorization: `Bearer ${unknown}` },
        // A real key id with a wrong secret: the hash comparison, not the lookup, refuses it.
        { authorization: `Bearer wdn_${keyIdOf(keys.admin.key)}_${"B".repeat(43)}` },
      ];
      for (const headers of cases) {
        const response = await createKey(undefined, { actor: "eve", roles: ["admin"] }, headers);
        expect(response.statusCode, JSON.stringify(headers)).toBe(401);
        expectErrorShape(response.body, "UNAUTHENTICATED");
      }
      expect(await count(store, "SELECT count(*)::int AS n FROM api_keys WHERE actor = 'eve'")).toBe(0);
    });

    it("accepts a key, and refuses it with 401 once revoked", async ({ server, keys, inject, createKey }) => {
      const target = await server.makeKey("acme", "temp", ["admin"]);
      expect((await createKey(target, { actor: "temp-child", roles: ["requester"] })).statusCode).toBe(201);
      const revoked = await inject({ method: "DELETE", url: `/v1/admin/keys/${keyIdOf(target.key)}`, headers: keys.admin.headers });
      expect(revoked.statusCode).toBe(200);
      const after = await createKey(target, { actor: "temp-child", roles: ["requester"] });
      expect(after.statusCode).toBe(401);
      expectErrorShape(after.body, "UNAUTHENTICATED");
      // Another tenant's admin cannot revoke (or learn about) an acme key.
      const victim = await server.makeKey("acme", "victim", ["requester"]);
      const globexAdmin = await server.makeKey("globex", "gadmin", ["admin"]);
      const foreign = await inject({ method: "DELETE", url: `/v1/admin/keys/${keyIdOf(victim.key)}`, headers: globexAdmin.headers });
      expect(foreign.statusCode).toBe(404);
      expectErrorShape(foreign.body, "NOT_FOUND");
    });

    it("stops accepting a key revoked by another process once its cache entry expires", async ({ store }) => {
      const quick = await startTestServer(store, { auth: { cacheTtlMs: 50 } });
      try {
        const target = await quick.makeKey("acme", "elsewhere", ["admin"]);
        expect((await quick.app.inject({ method: "DELETE", url: "/v1/admin/keys/0000000000000000", headers: target.headers })).statusCode).toBe(404);
        await store.db.query("UPDATE api_keys SET revoked_at = now() WHERE key_id = $1", [keyIdOf(target.key)]);
        await new Promise((resolve) => setTimeout(resolve, 80));
        expect((await quick.app.inject({ method: "DELETE", url: "/v1/admin/keys/0000000000000000", headers: target.headers })).statusCode).toBe(401);
      } finally {
        await quick.close();
      }
    });

    it("answers 403 FORBIDDEN when the key lacks the route's role, and keeps admins in their tenant", async ({ store, keys, createKey }) => {
      for (const key of [keys.requester, keys.approver, keys.otherTenant]) {
        const response = await createKey(key, { actor: "eve", roles: ["admin"] });
        expect(response.statusCode).toBe(403);
        expectErrorShape(response.body, "FORBIDDEN");
      }
      const crossTenant = await createKey(keys.admin, { tenant: "globex", actor: "eve", roles: ["admin"] });
      expect(crossTenant.statusCode).toBe(403);
      expect(await count(store, "SELECT count(*)::int AS n FROM api_keys WHERE actor = 'eve'")).toBe(0);
    });

    it("creates a working key over HTTP for an admin, in the admin's tenant, storing only its hash", async ({ store, keys, inject, createKey }) => {
      const response = await createKey(keys.admin, { actor: "dana", roles: ["requester", "approver"] });
      expect(response.statusCode).toBe(201);
      expect(response.headers["cache-control"]).toBe("no-store");
      const created = response.json() as { key: string; tenant: string; actor: string; roles: string[] };
      expect(created).toEqual({ key: expect.stringMatching(/^wdn_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/), tenant: "acme", actor: "dana", roles: ["requester", "approver"] });
      const { rows } = await store.db.query<Record<string, unknown>>("SELECT * FROM api_keys WHERE key_id = $1", [keyIdOf(created.key)]);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows[0])).not.toContain(created.key.split("_").slice(2).join("_"));
      const run = await inject({ method: "POST", url: "/v1/runs", headers: { authorization: `Bearer ${created.key}` }, payload: { goal: "Where is my order A-1001?" } });
      expect(run.statusCode).toBe(200);
      expect(run.json()).toMatchObject({ tenant: "acme", actor: "dana" });
    });

    it("authenticates from its cache: repeated requests with one key run no query", async ({ store, keys, createKey }) => {
      await createKey(keys.requester, { actor: "x", roles: ["requester"] }); // warm the cache
      // Counted by text: the job engine's own polls and heartbeats run on the same database meanwhile.
      const query = store.db.query.bind(store.db);
      let keyQueries = 0;
      store.db.query = ((text: string, params?: unknown[]) => {
        if (/api_keys/.test(text)) keyQueries++;
        return query(text, params);
      }) as typeof store.db.query;
      try {
        for (let index = 0; index < 20; index++) expect((await createKey(keys.requester, { actor: "x", roles: ["requester"] })).statusCode).toBe(403);
      } finally {
        store.db.query = query;
      }
      expect(keyQueries).toBe(0);
    });
  });

  describe("hostile requests get a 4xx in the error shape and change nothing", () => {
    const json = { "content-type": "application/json" };

    it("answers 404 NOT_FOUND for unknown routes and methods, in the error shape", async ({ keys, inject }) => {
      for (const [method, url] of [["GET", "/nope"], ["GET", "/v1/nope"], ["DELETE", "/v1/runs"], ["GET", "/v1/admin/keys"]] as const) {
        const response = await inject({ method, url, headers: keys.admin.headers });
        expect(response.statusCode, `${method} ${url}`).toBe(404);
        expectErrorShape(response.body, "NOT_FOUND");
      }
    });

    it("answers 413 BODY_TOO_LARGE over 1 MB, 415 for a non-JSON body, 400 for malformed JSON, prototype keys and deep nesting", async ({ store, keys, inject }) => {
      const keysBefore = await count(store, "SELECT count(*)::int AS n FROM api_keys");
      const runsBefore = await count(store, "SELECT count(*)::int AS n FROM runs");
      const cases: Array<[string, InjectOptions, number, string]> = [
        ["over 1 MB", { url: "/v1/runs", headers: json, payload: JSON.stringify({ goal: "x".repeat(1_100_000) }) }, 413, "BODY_TOO_LARGE"],
        ["text/plain", { url: "/v1/runs", headers: { "content-type": "text/plain" }, payload: "Refund A-1001" }, 415, "UNSUPPORTED_MEDIA_TYPE"],
        ["form", { url: "/v1/runs", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: "goal=x" }, 415, "UNSUPPORTED_MEDIA_TYPE"],
        ["xml", { url: "/v1/admin/keys", headers: { "content-type": "application/xml" }, payload: "<a/>" }, 415, "UNSUPPORTED_MEDIA_TYPE"],
        ["malformed", { url: "/v1/runs", headers: json, payload: '{"goal": "x"' }, 400, "VALIDATION_FAILED"],
        ["trailing garbage", { url: "/v1/admin/keys", headers: json, payload: '{"actor":"a","roles":["admin"]} x' }, 400, "VALIDATION_FAILED"],
        ["__proto__", { url: "/v1/admin/keys", headers: json, payload: '{"actor":"a","roles":["admin"],"__proto__":{"isAdmin":true}}' }, 400, "VALIDATION_FAILED"],
        ["constructor.prototype", { url: "/v1/runs", headers: json, payload: '{"goal":"x","constructor":{"prototype":{"a":1}}}' }, 400, "VALIDATION_FAILED"],
        ["deep nesting", { url: "/v1/runs", headers: json, payload: `{"goal":"x","context":{"a":${"[".repeat(5000)}${"]".repeat(5000)}}}` }, 400, "VALIDATION_FAILED"],
        ["wrong types", { url: "/v1/admin/keys", headers: json, payload: '{"actor":42,"roles":"admin"}' }, 400, "VALIDATION_FAILED"],
      ];
      for (const [name, options, status, code] of cases) {
        const response = await inject({ method: "POST", ...options, headers: { ...keys.admin.headers, ...(options.headers as Record<string, string>) } });
        expect(response.statusCode, name).toBe(status);
        expectErrorShape(response.body, code);
      }
      expect(await count(store, "SELECT count(*)::int AS n FROM api_keys")).toBe(keysBefore);
      expect(await count(store, "SELECT count(*)::int AS n FROM runs")).toBe(runsBefore);
      expect((await inject({ url: "/healthz" })).statusCode).toBe(200);
    });

    it("answers 400 in the error shape for URLs the router refuses: bad percent-encoding, over-long path parameters", async ({ keys, inject }) => {
      for (const url of ["/v1/runs/%E0%A4%A", `/v1/runs/${"x".repeat(600)}`, `/v1/admin/keys/${"f".repeat(5000)}`]) {
        const response = await inject({ method: url.startsWith("/v1/admin") ? "DELETE" : "GET", url, headers: keys.admin.headers });
        expect(response.statusCode, url.slice(0, 40)).toBe(400);
        expectErrorShape(response.body, "VALIDATION_FAILED");
        expect(response.headers["x-request-id"]).toBeTruthy();
      }
    });

    it("lists the failing fields of an invalid body in details", async ({ keys, createKey }) => {
      const response = await createKey(keys.admin, { actor: "", roles: ["boss"], extra: true });
      expect(response.statusCode).toBe(400);
      const details = (response.json() as { error: { details: Array<{ path: string }> } }).error.details.map((detail) => detail.path);
      expect(details).toEqual(expect.arrayContaining(["body.actor", "body.roles.0", "body"]));
    });

    it("names the prototype-poisoning problem instead of calling the JSON malformed", async ({ keys, inject }) => {
      const response = await inject({ method: "POST", url: "/v1/admin/keys", headers: { ...keys.admin.headers, ...json }, payload: '{"__proto__":{"x":1}}' });
      expect(response.json().error.message).toMatch(/__proto__/);
    });
  });

  describe("rate limit", () => {
    it("answers 429 RATE_LIMITED per key after the limit, and leaves other keys and public routes alone", async ({ store }) => {
      const limited = await startTestServer(store, { rateLimit: { max: 3, timeWindow: 60_000 } });
      try {
        const call = (key: TestKey) => limited.app.inject({ method: "POST", url: "/v1/admin/keys", headers: key.headers, payload: { actor: "x", roles: ["requester"] } });
        for (let index = 0; index < 3; index++) expect((await call(limited.keys.requester)).statusCode).toBe(403);
        const over = await call(limited.keys.requester);
        expect(over.statusCode).toBe(429);
        expectErrorShape(over.body, "RATE_LIMITED");
        expect(Number(over.headers["retry-after"])).toBeGreaterThan(0);
        expect((await call(limited.keys.approver)).statusCode).toBe(403);
        for (let index = 0; index < 5; index++) expect((await limited.app.inject({ url: "/healthz" })).statusCode).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });


  describe("health, metrics and documentation", () => {
    it("answers /healthz and /readyz without a key", async ({ inject }) => {
      expect((await inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
      const ready = await inject({ url: "/readyz" });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: "ready" });
    });

    it("answers /readyz 503 STORE_UNAVAILABLE, and a database route 503 instead of 500, once the database is gone", async () => {
      const doomedStore = await backend.open();
      const doomed = await startTestServer(doomedStore);
      try {
        expect((await doomed.app.inject({ url: "/readyz" })).statusCode).toBe(200);
        await createKeyOn(doomed.app, doomed.keys.admin); // the admin key is now cached: the next failure is the insert
        await doomedStore.close();
        const ready = await doomed.app.inject({ url: "/readyz" });
        expect(ready.statusCode).toBe(503);
        expectErrorShape(ready.body, "STORE_UNAVAILABLE");
        expect((await doomed.app.inject({ url: "/healthz" })).statusCode).toBe(200);
        const write = await createKeyOn(doomed.app, doomed.keys.admin);
        expect(write.statusCode).toBe(503);
        expectErrorShape(write.body, "STORE_UNAVAILABLE");
      } finally {
        await doomed.close();
      }
    });

    it("exports run, tool, policy and request metrics in Prometheus text after a run", async ({ keys, inject }) => {
      const run = await inject({ method: "POST", url: "/v1/runs", headers: keys.requester.headers, payload: { goal: "Where is my order A-1001?" } });
      expect(run.json().status).toBe("completed");
      const metrics = await inject({ url: "/metrics" });
      expect(metrics.statusCode).toBe(200);
      expect(metrics.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = metrics.body;
      expect(text).toMatch(/^warden_runs_total\{status="completed"\} [1-9]/m);
      expect(text).toMatch(/^warden_tool_calls_total\{tool="lookup_order",status="ok"\} [1-9]/m);
      expect(text).toMatch(/^warden_policy_decisions_total\{effect="allow",point="tool_call"\} [1-9]/m);
      expect(text).toMatch(/^warden_run_duration_seconds_count\{status="completed"\} [1-9]/m);
      expect(text).toMatch(/^warden_http_request_duration_seconds_count\{route="\/v1\/runs",method="POST",status_code="200"\} [1-9]/m);
    });

    it("serves the OpenAPI document with every /v1 route and bearer auth, and the Swagger UI at /docs", async ({ inject }) => {
      const document = (await inject({ url: "/openapi.json" })).json() as {
        openapi: string;
        paths: Record<string, Record<string, unknown>>;
        components: { securitySchemes: Record<string, { scheme: string }> };
      };
      expect(document.openapi).toMatch(/^3\.1/);
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          "/v1/runs",
          "/v1/runs/{run_id}",
          "/v1/runs/{run_id}/trace",
          "/v1/runs/{run_id}/events",
          "/v1/runs/{run_id}/cancel",
          "/v1/approvals",
          "/v1/approvals/{approval_id}",
          "/v1/threads/{thread_id}/state",
          "/v1/threads/{thread_id}/history",
          "/v1/admin/keys",
          "/healthz",
          "/readyz",
        ]),
      );
      expect(Object.keys(document.paths).some((path) => path.startsWith("/docs"))).toBe(false);
      expect(document.components.securitySchemes.apiKey?.scheme).toBe("bearer");
      expect(document.paths["/v1/admin/keys"]?.post).toMatchObject({ requestBody: expect.anything() });
      const docs = await inject({ url: "/docs" });
      expect(docs.statusCode).toBe(200);
      expect(docs.headers["content-type"]).toMatch(/text\/html/);
      expect(docs.body).toContain("swagger-ui-bundle.js");
      expect((await inject({ url: "/docs/static/swagger-ui-bundle.js" })).statusCode).toBe(200);
      expect((await inject({ url: "/docs/json" })).json()).toMatchObject({ openapi: document.openapi });
    });

    it("echoes a sane X-Request-Id and makes one up otherwise", async ({ inject }) => {
      expect((await inject({ url: "/healthz", headers: { "x-request-id": "abc-123" } })).headers["x-request-id"]).toBe("abc-123");
      expect((await inject({ url: "/healthz", headers: { "x-request-id": "bad id\u0001" } })).headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    });
  });


  function createKeyOn(target: WardenApp, key: TestKey) {
    return target.inject({ method: "POST", url: "/v1/admin/keys", headers: key.headers, payload: { actor: "late", roles: ["requester"] } });
  }
});

describe("logging", () => {
  let store: Store;
  let runtime: Runtime;
  beforeAll(async () => {
    store = await backends[0]!.open();
    runtime = await createRuntime({ store, env: {} });
  });
  afterAll(async () => {
    await runtime?.close();
    await store?.close();
  });

  it("redacts authorization headers, cookies and API keys from log lines", async () => {
    const lines: string[] = [];
    const app = createApp({ runtime, logger: { level: "info", stream: { write: (line) => lines.push(line) } } });
    app.get("/v1/test/log", async (request) => {
      request.log.info({ headers: request.headers, key: "wdn_secret_key", nested: { api_key: "also-secret" } }, "probe");
      return { ok: true };
    });
    await app.ready();
    try {
      const secretKey = `wdn_0123456789abcdef_${"S".repeat(43)}`;
      await app.inject({ url: "/v1/test/log", headers: { authorization: `Bearer ${secretKey}`, cookie: "session=topsecret" } });
      const output = lines.join("");
      expect(output).toContain("request_id");
      expect(output).not.toContain("SSSS");
      expect(output).not.toContain("topsecret");
      expect(output).not.toContain("wdn_secret_key");
      expect(output).not.toContain("also-secret");
    } finally {
      await app.close();
    }
  });
});

describe("the HTTP status table", () => {
  it("docs/errors.md gives every error code the status the server answers with", () => {
    const page = readFileSync("docs/errors.md", "utf8");
    const section = page.slice(page.indexOf("## HTTP statuses"));
    const documented = new Map<string, number>();
    for (const match of section.matchAll(/^\| (\d{3}) \| (.*) \|$/gm)) {
      for (const code of match[2]!.matchAll(/`([A-Z_]+)`/g)) documented.set(code[1]!, Number(match[1]));
    }
    const expected = new Map(Object.keys(ERROR_CODES).map((code) => [code, HTTP_STATUS[code as ErrorCode]]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(expected));
  });

  it("maps errors nobody anticipated to 500 INTERNAL and lost databases to 503, without leaking messages", () => {
    expect(toErrorReply(new Error("password=hunter2"))).toEqual({ statusCode: 500, body: { error: { code: "INTERNAL", message: ERROR_CODES.INTERNAL } }, serverFault: true });
    expect(toErrorReply(new WardenError("POLICY_INVALID", "policies/x.json: bad rule")).body.error).toEqual({ code: "INTERNAL", message: ERROR_CODES.INTERNAL });
    expect(toErrorReply(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })).statusCode).toBe(503);
    expect(toErrorReply(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" })).statusCode).toBe(503);
    expect(toErrorReply(new WardenError("STORE_LOCKED")).body.error.code).toBe("STORE_UNAVAILABLE");
    expect(toErrorReply(new WardenError("THREAD_BUSY", "busy")).statusCode).toBe(409);
  });
});