import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { PolicyEngine } from "../policy/types.js";
import type { Release } from "../runtime/release.js";
import type { Db } from "../store/db.js";
import type { ToolExecutor } from "../tools/executor.js";
import type { ToolRegistry } from "../tools/registry.js";
import type { TraceStore } from "../trace/types.js";

/** Everything one release pins: its prompt, policy, model and enabled tools. */
export interface LoadedRelease {
  release: Release;
  prompt: string;
  policy: PolicyEngine;
  model: BaseChatModel;
  /** Only the tools the release enables: anything else is an unknown tool (denied). */
  tools: ToolRegistry;
}

/**
 * What nodes need from the outside world. Graph files only wire nodes; nodes reach I/O through these,
 * so tests inject a scripted model, an in-memory store or a flaky tool without touching the graph.
 */
export interface GraphDeps {
  db: Db;
  trace: TraceStore;
  executor: ToolExecutor;
  /** Loads (and caches) a release; throws WardenError RELEASE_NOT_FOUND / RELEASE_INVALID. */
  release(id: string): Promise<LoadedRelease>;
}

/** Deps are resolved lazily so `langgraph.json` can import compiled graphs without opening a database. */
export type DepsProvider = () => Promise<GraphDeps>;
