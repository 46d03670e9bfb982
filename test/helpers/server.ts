import { expect } from "vitest";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../src/runtime/create-runtime.js";
import { createApiKey, type Role } from "../../src/server/api-keys.js";
import { createApp, type AppOptions, type WardenApp } from "../../src/server/create-app.js";
import { createMetrics, type WardenMetrics } from "../../src/server/plugins/metrics.js";
import type { Store } from "../../src/store/open-store.js";

/** An API key made for a test, with the header that presents it. */
export interface TestKey {
  key: string;
  tenant: string;
  actor: string;
  roles: Role[];
  /** `{ authorization: "Bearer <key>" }`, ready for `app.inject({ headers })`. */
  headers: { authorization: string };
}

export interface TestServer {
  app: WardenApp;
  /** The runtime behind the app (offline model unless `model` was given; tool/policy events feed `metrics`). */
  runtime: Runtime;
  metrics: WardenMetrics;
  /**
   * Fresh keys: acme `alice` (requester), acme `bob` and `carol` (approvers), acme `admin` (admin, holds every
   * role), and globex `mallory` (requester + approver) for tenant-isolation checks.
   */
  keys: { requester: TestKey; approver: TestKey; secondApprover: TestKey; admin: TestKey; otherTenant: TestKey };
  /** Creates another key in the store. */
  makeKey(tenant: string, actor: string, roles: Role[]): Promise<TestKey>;
  /** Closes the app and the runtime; the store stays open (the caller owns it). */
  close(): Promise<void>;
}

export interface TestServerOptions extends Omit<AppOptions, "runtime" | "metrics"> {
  model?: BaseChatModel;
  /** More runtime options (env, run settings, tools). */
  runtime?: Omit<RuntimeOptions, "store" | "model" | "onTraceEvent">;
}

/**
 * An app over `store` (not listening: use `app.inject`, or `app.listen({ port: 0 })` for a real socket), with
 * the offline model and no env. The rate limit is high (10,000 a minute) unless `rateLimit` is given.
 *
 * @example
 * const server = await startTestServer(store);
 * const response = await server.app.inject({ method: "POST", url: "/v1/runs", headers: server.keys.requester.headers, payload: { goal: "..." } });
 */
export async function startTestServer(store: Store, options: TestServerOptions = {}): Promise<TestServer> {
  const { model, runtime: runtimeOptions, ...appOptions } = options;
  const metrics = createMetrics();
  const runtime = await createRuntime({ env: {}, ...runtimeOptions, store, ...(model ? { model } : {}), onTraceEvent: metrics.onTraceEvent });
  const app = createApp({ rateLimit: { max: 10_000, timeWindow: 60_000 }, ...appOptions, runtime, metrics });
  await app.ready();

  async function makeKey(tenant: string, actor: string, roles: Role[]): Promise<TestKey> {
    const created = await createApiKey(store.db, { tenant, actor, roles });
    return { ...created, headers: { authorization: `Bearer ${created.key}` } };
  }

  const keys = {
    requester: await makeKey("acme", "alice", ["requester"]),
    approver: await makeKey("acme", "bob", ["approver"]),
    secondApprover: await makeKey("acme", "carol", ["approver"]),
    admin: await makeKey("acme", "admin", ["admin"]),
    otherTenant: await makeKey("globex", "mallory", ["requester", "approver"]),
  };

  return {
    app,
    runtime,
    metrics,
    keys,
    makeKey,
    async close() {
      await app.close();
      await runtime.close();
    },
  };
}

/** A `SELECT count(*)::int AS n ...` query's number. */
export async function countRows(store: Store, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await store.db.query<{ n: number }>(sql, params);
  return rows[0]?.n ?? 0;
}

/** Asserts the API's error body `{ error: { code, message } }` with `code`, and that no stack trace leaked. */
export function expectErrorShape(body: string, code: string): void {
  const parsed = JSON.parse(body) as { error: { code: string; message: string } };
  expect(parsed.error.code).toBe(code);
  expect(typeof parsed.error.message).toBe("string");
  expect(parsed.error.message.length).toBeGreaterThan(0);
  expect(body).not.toMatch(/at .*\.(ts|js):\d+/);
}
