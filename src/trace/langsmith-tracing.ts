import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import type { RunObserver } from "./run-observer.js";
import { createLangSmithClient, type LangSmithClientConfig, type RedactingLangSmithClient } from "./langsmith-client.js";
import { createLangSmithRunTracer } from "./langsmith-run-tracer.js";
import type { Redactor } from "./redact.js";

export interface LangSmithTracing {
  /** The redacting client runs are sent with (reusable, e.g. for `evaluate()`). */
  client: RedactingLangSmithClient;
  /** Attaches the tracer to each execution of a run. */
  observer: RunObserver;
  /** Waits until LangChain's callbacks have handed every run to the client and the client has sent them. */
  flush(): Promise<void>;
}

/**
 * LangSmith tracing from Warden's config: undefined unless `LANGSMITH_TRACING=true` (then nothing is created and
 * no request is ever made).
 */
export function createLangSmithTracing(
  config: LangSmithClientConfig & { LANGSMITH_TRACING: "true" | "false"; LANGSMITH_PROJECT: string },
  redactor: Redactor,
): LangSmithTracing | undefined {
  if (config.LANGSMITH_TRACING !== "true") return undefined;
  const client = createLangSmithClient(config, redactor);
  return {
    client,
    observer: createLangSmithRunTracer({ client, projectName: config.LANGSMITH_PROJECT }),
    async flush() {
      // Background callbacks first (they call createRun/updateRun), then the client's batches.
      await awaitAllCallbacks();
      await client.awaitPendingTraceBatches();
    },
  };
}
