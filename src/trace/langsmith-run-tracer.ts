import { createHash } from "node:crypto";
import { CallbackManager } from "@langchain/core/callbacks/manager";
import { LangChainTracer } from "@langchain/core/tracers/tracer_langchain";
import { RunTree, type Client } from "langsmith";
import type { RunObserver } from "./run-observer.js";

export interface LangSmithRunTracerOptions {
  /** A redacting client (`createLangSmithClient`): the tracer sends nothing through anything else. */
  client: Client;
  projectName: string;
}

/**
 * The LangSmith id of a Warden run's root: a UUID v7 whose time is the run's creation and whose other bits come
 * from the run id. Every process computes the same id (and, from the same start time, the same `dotted_order`),
 * so the resume after an approval, in whatever process, nests under the root the first execution created.
 */
export function langSmithRootRunId(runId: string, createdAt: Date): string {
  const hash = createHash("sha256").update(`warden-langsmith-run:${runId}`).digest();
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(Math.max(0, Math.min(createdAt.getTime(), 2 ** 48 - 1)), 0, 6);
  bytes[6] = 0x70 | (hash[0]! & 0x0f); // version 7
  bytes[7] = hash[1]!;
  bytes[8] = 0x80 | (hash[2]! & 0x3f); // RFC 4122 variant
  hash.copy(bytes, 9, 3, 10);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * One LangSmith trace per Warden run. The root run `warden run <run_id>` (chain) starts at the run's creation and
 * carries metadata `run_id`, `thread_id`, `tenant`, `release`, and, as of the end of the latest execution, `route`
 * and `status`. Each execution is a child named after its kind (`start`, `resume`, `continue`): the graph
 * invocation, with LangGraph's node runs, model calls and tool calls nested below it. The first execution posts
 * the root; later ones (the resume after an approval, from any process) patch its outputs, metadata and end time.
 *
 * Runs carry an explicit `LangChainTracer` on the redacting client, so LangChain adds no env tracer to them.
 */
export function createLangSmithRunTracer(options: LangSmithRunTracerOptions): RunObserver {
  const { client, projectName } = options;
  return {
    begin({ run, kind }) {
      const createdAt = new Date(run.created_at);
      const metadata = { run_id: run.run_id, thread_id: run.thread_id, tenant: run.tenant_id, release: run.release_id };
      const root = new RunTree({
        id: langSmithRootRunId(run.run_id, createdAt),
        name: `warden run ${run.run_id}`,
        run_type: "chain",
        start_time: createdAt.getTime(),
        inputs: kind === "start" && run.input ? { ...run.input } : {},
        extra: { metadata },
        tags: ["warden"],
        client,
        project_name: projectName,
        tracingEnabled: true,
      });
      // Only the first execution creates the root; a resume patches it (its inputs stay those of the create).
      const posted = kind === "start" ? root.postRun() : Promise.resolve();
      const tracer = new LangChainTracer({ client, projectName });
      tracer.updateFromRunTree(root);
      const callbacks = new CallbackManager(root.id, { handlers: [tracer], inheritableHandlers: [tracer] });
      return {
        config: { callbacks, runName: kind, metadata: { ...metadata, execution: kind } },
        async end(result) {
          const failed = result.status === "failed" && result.error;
          await root.end(
            { status: result.status, route: result.route, ...(result.answer ? { answer: result.answer } : {}), ...(result.error && !failed ? { error: result.error } : {}) },
            failed ? `${result.error!.code}: ${result.error!.message}` : undefined,
            Date.now(),
            { ...metadata, route: result.route, status: result.status },
          );
          await posted;
          await root.patchRun();
        },
      };
    },
  };
}
