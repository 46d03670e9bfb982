import type { GraphDeps } from "../kernel/deps.js";
import { buildRuntimeGraph } from "../graph/runtime.js";
import { openStore } from "../store/open-store.js";
import { loadConfig } from "./config.js";
import { createGraphDeps } from "./create-graph-deps.js";
import { loadWardenConfig } from "./warden-config.js";

/**
 * The graphs `langgraph.json` names, for LangGraph Studio (`langgraph dev`), built from `warden.config.ts`'s
 * packs. They are compiled WITHOUT a checkpointer: the dev server injects its own (invariant 7). Their
 * dependencies come from the environment (DATABASE_URL or the PGlite data dir) and are opened on first use, not on
 * import. `warden.studio.ts` at the root exports one per route, by name.
 */
const { composition, store: storeOptions } = await loadWardenConfig();
let deps: Promise<GraphDeps> | undefined;

export function depsFromEnv(): Promise<GraphDeps> {
  deps ??= (async () => {
    const config = loadConfig();
    const store = await openStore({ ...(storeOptions ?? { databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR }), packs: composition.packs });
    return createGraphDeps({ db: store.db, composition, redactFields: config.WARDEN_REDACT_FIELDS });
  })();
  return deps;
}

/** Whether anything has opened the environment's store yet (importing this module must not). */
export function depsOpened(): boolean {
  return deps !== undefined;
}

export const runtime = buildRuntimeGraph(depsFromEnv, composition).compile({ name: "runtime" });

/** A workflow or an agent of the packs on its own, as Studio shows it. @throws TypeError for an unknown route. */
export function routeGraph(node: string) {
  const route = [...composition.workflows, ...composition.agents].find((entry) => entry.node === node);
  if (!route) throw new TypeError(`No pack declares a route named ${node}`);
  return route.build(depsFromEnv).compile({ name: node }) as typeof runtime;
}
