import { join } from "node:path";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { Composition } from "../kernel/composition.js";
import type { GraphDeps, LoadedRelease, RunControl } from "../kernel/deps.js";
import { createMemory } from "../memory/create-memory.js";
import { createChatModel } from "../model/create-chat-model.js";
import { loadPolicyEngine } from "../policy/load-policy.js";
import type { Db } from "../store/db.js";
import { createToolExecutor } from "../tools/executor.js";
import { createToolRegistry } from "../tools/registry.js";
import type { ToolDefinition } from "../tools/types.js";
import { envTracingEnabled, guardEnvTracer } from "../trace/langsmith-env-guard.js";
import { traceToolRuns } from "../tools/langsmith-tool-runs.js";
import { createRedactor, type Redactor } from "../trace/redact.js";
import { createTraceStore } from "../trace/trace-store.js";
import type { TraceEvent } from "../trace/types.js";
import { createFlags, type Flags } from "../kernel/flags.js";
import { loadPreviousPrompts, loadPrompt, loadRelease } from "../kernel/release.js";
import { resolveReleaseRoutes } from "../kernel/release-routes.js";

export interface GraphDepsOptions {
  db: Db;
  /** The runtime's packs (`composePacks` of warden.config.ts's): routes, router, tools. */
  composition: Composition;
  /** Overrides every release's model (tests: a scripted model). */
  model?: BaseChatModel;
  /** Overrides every release's fallback model, declared or not (tests of the `model` switch). */
  fallbackModel?: BaseChatModel;
  /** Replaces the packs' tools (tests: tools that fail on purpose). Default: every pack's tools. */
  tools?: readonly ToolDefinition[];
  /** Where releases/, prompts/ and policies/ live. Default: the packs' data folder. */
  root?: string;
  redactFields?: string[];
  /** The redactor of traces and memory (default: built from `redactFields`); the runtime shares it with its exporters. */
  redactor?: Redactor;
  /** Each tool call becomes a LangSmith `tool` run under its node (only with LangSmith tracing on). */
  traceToolRuns?: boolean;
  env?: Record<string, string | undefined>;
  /** Rollback switches (default: `createFlags(db)`); tests inject one with a shorter staleness. */
  flags?: Flags;
  /** Sees every stored trace event (already redacted), e.g. for live streaming. */
  onTraceEvent?: (event: TraceEvent) => void;
  /** Stops runs at step boundaries (the run executor's registry); absent: runs never stop early. */
  runControl?: RunControl;
}

/** Wires the runtime's collaborators from a database and options; releases are loaded once and cached. */
export function createGraphDeps(options: GraphDepsOptions): GraphDeps {
  const root = options.root ?? options.composition.root;
  const registry = createToolRegistry([...(options.tools ?? options.composition.tools)]);
  const toolExecutor = createToolExecutor({ registry, db: options.db });
  // The offline model plans with the packs' heuristics and knows which tools have side effects.
  const offline = { heuristics: options.composition.offline, tools: registry.list() };
  const executor = options.traceToolRuns ? traceToolRuns(toolExecutor) : toolExecutor;
  // One redactor for traces and memory: what a trace would hide is not remembered either.
  const redactor = options.redactor ?? createRedactor({ fields: options.redactFields ?? [] });
  // LangChain's own env tracer (LANGSMITH_TRACING=true in the process) redacts too, whatever Warden's config says.
  if (envTracingEnabled()) guardEnvTracer(options.redactFields ?? []);
  const trace = createTraceStore(options.db, {
    redactor,
    ...(options.onTraceEvent ? { onEvent: options.onTraceEvent } : {}),
  });
  // Promises are cached so concurrent first runs of a release load it once.
  const releases = new Map<string, Promise<LoadedRelease>>();
  return {
    db: options.db,
    composition: options.composition,
    trace,
    executor,
    flags: options.flags ?? createFlags(options.db),
    memory: (policy) => createMemory({ db: options.db, policy, redactor }),
    ...(options.runControl ? { runControl: options.runControl } : {}),
    release(id) {
      const cached = releases.get(id);
      if (cached) return cached;
      const loading = (async (): Promise<LoadedRelease> => {
        const release = loadRelease(id, root);
        // Before anything else is loaded: a release naming a route no pack declares is RELEASE_INVALID.
        const routes = resolveReleaseRoutes(release, options.composition);
        return {
          routes,
          release,
          prompt: loadPrompt(release, root),
          previousPrompts: loadPreviousPrompts(release, root),
          policy: await loadPolicyEngine(join(root, release.policy)),
          model: options.model ?? createChatModel(release.model, options.env ?? process.env, offline),
          ...(options.fallbackModel || release.fallback_model
            ? { fallbackModel: options.fallbackModel ?? createChatModel(release.fallback_model!, options.env ?? process.env, offline) }
            : {}),
          tools: registry.subset(release.tools),
        };
      })();
      releases.set(id, loading);
      // A failed load is not cached: fixing the file fixes the next run.
      loading.catch(() => releases.delete(id));
      return loading;
    },
  };
}
