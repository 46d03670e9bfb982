import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { MemoryService } from "../memory/create-memory.js";
import type { PolicyEngine } from "../policy/types.js";
import type { Composition } from "./composition.js";
import type { Flags } from "./flags.js";
import type { Release } from "./release.js";
import type { ReleaseRoutes } from "./release-routes.js";
import type { Db } from "../store/db.js";
import type { ToolExecutor } from "../tools/executor.js";
import type { ToolRegistry } from "../tools/registry.js";
import type { TraceStore } from "../trace/types.js";

/** Everything one release pins: its prompt, policy, model and enabled tools. */
export interface LoadedRelease {
  release: Release;
  prompt: string;
  /** Earlier versions of the prompt, newest first: the fallbacks of a `prompt` switch. */
  previousPrompts: Array<{ path: string; text: string }>;
  policy: PolicyEngine;
  model: BaseChatModel;
  /** The release's `fallback_model`: what a `model` switch falls back to. */
  fallbackModel?: BaseChatModel;
  /** Only the tools the release enables: anything else is an unknown tool (denied). */
  tools: ToolRegistry;
  /** The workflows and agents the release lists, resolved against the composition (checked at load). */
  routes: ReleaseRoutes;
}

/**
 * How a node learns that its run must stop. The run executor (src/runs) implements it; graphs driven without one
 * (LangGraph Studio, unit tests) never stop early.
 */
export interface RunControl {
  /** Aborted when the run is cancelled, interrupted or rolled back, or lost its lease: tools receive it. */
  signalFor(runId: string): AbortSignal;
  /** Throws at a step boundary (the start of a node) when the run was asked to stop, before the node does anything. */
  assertContinue(runId: string): void;
}

/**
 * What nodes need from the outside world. Graph files only wire nodes; nodes reach I/O through these,
 * so tests inject a scripted model, an in-memory store or a flaky tool without touching the graph.
 */
export interface GraphDeps {
  db: Db;
  /** The runtime's packs: routes, router, tools and their denial texts. */
  composition: Composition;
  trace: TraceStore;
  executor: ToolExecutor;
  /** Rollback switches, read by every node at every step (at most 1 s stale across processes). */
  flags: Flags;
  /** Long-term memory under `policy` (the run's release policy: its retrieval/memory_write rules and retention). */
  memory(policy: PolicyEngine): MemoryService;
  /** Loads (and caches) a release; throws WardenError RELEASE_NOT_FOUND / RELEASE_INVALID. */
  release(id: string): Promise<LoadedRelease>;
  /** Cooperative stops of runs in progress (cancel, double-texting, shutdown); absent: runs never stop early. */
  runControl?: RunControl;
}

/** Deps are resolved lazily so `langgraph.json` can import compiled graphs without opening a database. */
export type DepsProvider = () => Promise<GraphDeps>;
