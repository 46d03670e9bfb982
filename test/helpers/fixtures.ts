import { test } from "vitest";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import type { Store } from "../../src/store/open-store.js";
import { backends, type Backend } from "./backends.js";
import { runtimeOn } from "./runtime.js";
import { startTestServer, type TestServer, type TestServerOptions } from "./server.js";

/**
 * Shared setup as vitest fixtures (`test.extend`), instead of the same beforeAll/afterAll in every file. Each
 * fixture is opened once per file and backend, on first use, and closed when the file ends:
 * - `store`: a fresh store on the backend (a PGlite in memory, or a private schema on Postgres);
 * - `runtime`: a runtime on it (offline model, no env);
 * - `server`: the HTTP app on the same store, with a key per role (`server.keys`), not listening;
 * - `app`, `keys`: shortcuts for `server.app` and `server.keys`;
 * - `makeRuntime(options)`: another runtime on the same store (a scripted model, other tools), closed with the file.
 *
 * File-scoped fixtures must be defined at the top level of a file, so the per-backend tests are made here, at
 * import time, and a file runs them with `describe.each(onBackends())`.
 *
 * @example
 * describe.each(onBackends())("refunds on $name", ({ it }) => {
 *   it("waits for approval", async ({ runtime, store }) => { … });
 * });
 */
export interface BackendFixtures {
  store: Store;
  runtime: Runtime;
  server: TestServer;
  app: TestServer["app"];
  keys: TestServer["keys"];
  makeRuntime: MakeRuntime;
}

/** Opens another runtime on the file's store; the fixture closes every one it made (`made`) when the file ends. */
export interface MakeRuntime {
  (options?: Parameters<typeof runtimeOn>[1]): Promise<Runtime>;
  readonly made: readonly Runtime[];
}

export interface FixtureOptions {
  /** Store options (e.g. `packs`); default: the support pack's tables and seed. */
  store?: Parameters<Backend["open"]>[0];
  /** Runtime options for the `runtime` fixture. */
  runtime?: Parameters<typeof runtimeOn>[1];
  /** App and runtime options for the `server` fixture. */
  server?: TestServerOptions;
}

function backendTest(backend: Backend, options: FixtureOptions) {
  return test
    .extend("store", { scope: "file" }, async ({}, { onCleanup }): Promise<Store> => {
      const store = await backend.open(options.store);
      onCleanup(() => store.close());
      return store;
    })
    .extend("runtime", { scope: "file" }, async ({ store }, { onCleanup }): Promise<Runtime> => {
      const runtime = await runtimeOn(store, options.runtime);
      onCleanup(() => runtime.close());
      return runtime;
    })
    .extend("makeRuntime", { scope: "file" }, async ({ store }, { onCleanup }): Promise<MakeRuntime> => {
      const made: Runtime[] = [];
      onCleanup(async () => {
        for (const runtime of made) await runtime.close();
      });
      const makeRuntime = async (runtimeOptions?: Parameters<typeof runtimeOn>[1]) => {
        const runtime = await runtimeOn(store, runtimeOptions);
        made.push(runtime);
        return runtime;
      };
      return Object.assign(makeRuntime, { made });
    })
    .extend("server", { scope: "file" }, async ({ store }, { onCleanup }): Promise<TestServer> => {
      const server = await startTestServer(store, options.server);
      onCleanup(() => server.close());
      return server;
    })
    .extend("app", { scope: "file" }, async ({ server }): Promise<TestServer["app"]> => server.app)
    .extend("keys", { scope: "file" }, async ({ server }): Promise<TestServer["keys"]> => server.keys);
}

export interface BackendSuite {
  name: Backend["name"];
  backend: Backend;
  it: ReturnType<typeof backendTest>;
}

/** One suite per backend (PGlite always, Postgres when DATABASE_URL is set); call it at the top level of a file. */
export function onBackends(options: FixtureOptions = {}): BackendSuite[] {
  return backends.map((backend) => ({ name: backend.name, backend, it: backendTest(backend, options) }));
}
