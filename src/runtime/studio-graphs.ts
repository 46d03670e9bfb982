import type { GraphDeps } from "../kernel/deps.js";
import { buildRefundWorkflow } from "../graph/refund-workflow.js";
import { buildRuntimeGraph } from "../graph/runtime.js";
import { buildSupportAgent } from "../graph/support-agent.js";
import { openStore } from "../store/open-store.js";
import { loadConfig } from "./config.js";
import { createGraphDeps } from "./create-graph-deps.js";

/**
 * The graphs `langgraph.json` names, for LangGraph Studio (`langgraph dev`). They are compiled WITHOUT a
 * checkpointer: the dev server injects its own (invariant 7). Their dependencies come from the environment
 * (DATABASE_URL or the PGlite data dir) and are opened on first use, not on import.
 */
let deps: Promise<GraphDeps> | undefined;

export function depsFromEnv(): Promise<GraphDeps> {
  deps ??= (async () => {
    const config = loadConfig();
    const store = await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR });
    return createGraphDeps({ db: store.db, redactFields: config.WARDEN_REDACT_FIELDS });
  })();
  return deps;
}

/** Whether anything has opened the environment's store yet (importing this module must not). */
export function depsOpened(): boolean {
  return deps !== undefined;
}

export const runtime = buildRuntimeGraph(depsFromEnv).compile({ name: "runtime" });
export const support_agent = buildSupportAgent(depsFromEnv).compile({ name: "support_agent" });
export const refund_workflow = buildRefundWorkflow(depsFromEnv).compile({ name: "refund_workflow" });
