import { LangChainTracer } from "@langchain/core/tracers/tracer_langchain";
import type { LangSmithTracingClientInterface } from "langsmith";
import { AsyncLocalStorageProviderSingleton } from "langsmith/singletons/traceable";
import { redactRunPayload } from "./langsmith-client.js";
import { createRedactor, type Redactor } from "./redact.js";

/** The variables with which LangChain switches its own tracer on (`@langchain/core` `isTracingEnabled`). */
const ENV_TRACING_SWITCHES = ["LANGSMITH_TRACING_V2", "LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING", "LANGCHAIN_TRACING"] as const;

/** Whether LangChain's env-driven tracer is on in `env` (by default the process's). */
export function envTracingEnabled(env: Record<string, string | undefined> = process.env): boolean {
  return ENV_TRACING_SWITCHES.some((name) => env[name] === "true");
}

interface Guard {
  fields: Set<string>;
  redactor: Redactor;
}
let guard: Guard | undefined;

/**
 * Makes LangChain's env-driven tracer (the one `LANGSMITH_TRACING=true` adds to any LangChain call that has no
 * tracer of its own) redact everything it sends, with Warden's redactor: its default client's `createRun` and
 * `updateRun`, the two calls every LangChain run goes through, redact the whole run (inputs, outputs, metadata,
 * errors, serialized, tags) before the client sees it. `@langchain/core` has no setter for that client; a fresh
 * `LangChainTracer` without a client hands out the very singleton the env tracer uses.
 *
 * Warden's own runs never reach it (they carry Warden's tracer, so LangChain adds none: no duplicate runs);
 * this covers LangChain calls outside a run and graphs driven by something else (LangGraph Studio). Idempotent;
 * the fields of every call are unioned. Only call it when `envTracingEnabled()`: it creates LangChain's default
 * client, which reads the LangSmith endpoint and key from the environment at that moment.
 */
export function guardEnvTracer(fields: readonly string[] = []): void {
  if (guard) {
    const before = guard.fields.size;
    for (const field of fields) guard.fields.add(field.trim().toLowerCase());
    if (guard.fields.size !== before) guard.redactor = createRedactor({ fields: [...guard.fields] });
    return;
  }
  const active = { fields: new Set(fields.map((field) => field.trim().toLowerCase())), redactor: createRedactor({ fields: [...fields] }) };
  // Outside any `traceable` context, or the tracer would adopt that context's client instead of the default one.
  let client: LangSmithTracingClientInterface | undefined;
  AsyncLocalStorageProviderSingleton.getInstance().run(undefined, () => {
    client = new LangChainTracer().client;
  });
  if (!client) return;
  const target = client;
  const createRun = target.createRun.bind(target);
  const updateRun = target.updateRun.bind(target);
  target.createRun = (run, ...rest: unknown[]) => (createRun as (...args: unknown[]) => Promise<void>)(redactRunPayload(active.redactor, run), ...rest);
  target.updateRun = (runId, run, ...rest: unknown[]) => (updateRun as (...args: unknown[]) => Promise<void>)(runId, redactRunPayload(active.redactor, run), ...rest);
  guard = active;
}
