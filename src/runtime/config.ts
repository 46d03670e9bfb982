import { availableParallelism } from "node:os";
import { z } from "zod";

/**
 * Every environment variable Warden reads, in one place (`.env.example` documents the same list).
 * Empty strings count as unset, so `FOO=` in a .env file does not switch a backend on.
 */
const blankToUndefined = (value: unknown) => (value === "" ? undefined : value);
const optional = () => z.preprocess(blankToUndefined, z.string().optional());

export const ConfigSchema = z.object({
  DATABASE_URL: optional(),
  WARDEN_DATA_DIR: z.preprocess(blankToUndefined, z.string().default(".warden/pgdata")),
  /** What a tenant runs before any activation; default: warden.config.ts `release`, else the first pack's first release. */
  WARDEN_RELEASE: optional(),
  WARDEN_REDACT_FIELDS: z.preprocess(
    blankToUndefined,
    z.string().default("").transform((value) => value.split(",").map((field) => field.trim()).filter(Boolean)),
  ),
  OPENAI_API_KEY: optional(),
  OPENAI_BASE_URL: optional(),
  // HTTP server (`warden serve`).
  PORT: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(65535).default(8080)),
  HOST: z.preprocess(blankToUndefined, z.string().default("127.0.0.1")),
  /**
   * `warden serve` processes sharing the port (node:cluster): a number 1..64, or `auto` (one per core, at most 64).
   * More than 1 needs DATABASE_URL: PGlite is single-process.
   */
  WARDEN_WORKERS: z.preprocess(
    blankToUndefined,
    z
      .union([z.literal("auto"), z.coerce.number().int().min(1).max(64)])
      .default(1)
      .transform((value) => (value === "auto" ? Math.min(64, availableParallelism()) : value)),
  ),
  /** Time a client has to send a whole request, headers and body, from its first byte (ms); then 408 and closed. */
  WARDEN_REQUEST_TIMEOUT_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(100).max(2_147_483_647).default(60_000)),
  /** Time a client has to send a request body once the server reads it (ms); then 408 and closed. Responses are not bounded. */
  WARDEN_BODY_TIMEOUT_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(100).max(2_147_483_647).default(30_000)),
  /** Requests per minute per API key; 0 turns the limit off. */
  WARDEN_RATE_LIMIT_MAX: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).default(600)),
  /** How often the server deletes long-term memory past its retention period (ms). Default 1 hour. */
  // At most 2^31 - 1: a longer setInterval delay silently becomes 1 ms in Node.
  WARDEN_MEMORY_SWEEP_INTERVAL_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(1000).max(2_147_483_647).default(3_600_000)),
  /** Days after a thread's last run before its checkpoints are pruned; 0 never prunes. Default 30. */
  WARDEN_CHECKPOINT_RETENTION_DAYS: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(36_500).default(30)),
  /** keep_latest keeps each pruned thread's latest state (it can continue); delete_thread deletes all of it. */
  WARDEN_CHECKPOINT_PRUNE_MODE: z.preprocess(blankToUndefined, z.enum(["keep_latest", "delete_thread"]).default("keep_latest")),
  /** How often the server prunes checkpoints (ms). Default 1 hour. */
  WARDEN_CHECKPOINT_PRUNE_INTERVAL_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(1000).max(2_147_483_647).default(3_600_000)),
  // Durable run execution (src/runs, docs/operations.md).
  /** A dead worker's runs are resumed by another within this long (their lease is half of it, renewed every sixth). */
  WARDEN_RUN_LEASE_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(2000).max(600_000).default(30_000)),
  /** Executions of a run (crashes and failed attempts included) before it ends `failed`. */
  WARDEN_RUN_MAX_ATTEMPTS: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(100).default(5)),
  /** First retry delay after a failed attempt (doubles per attempt, at most a minute). */
  WARDEN_RUN_RETRY_DELAY_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(600_000).default(1000)),
  /** Runs one process executes at once. */
  WARDEN_RUN_CONCURRENCY: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(256).default(16)),
  /** How often an idle worker looks for run jobs sent by other processes (its own are picked up at once). */
  WARDEN_RUN_POLL_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(100).max(60_000).default(1000)),
  /** How long a synchronous request (POST /v1/runs, a decision) waits for its run before answering 202. */
  WARDEN_RUN_WAIT_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(3_600_000).default(120_000)),
  /** Webhook deliveries: attempts per event, and which private or loopback receivers are allowed (SSRF). */
  WARDEN_WEBHOOK_MAX_ATTEMPTS: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(50).default(8)),
  WARDEN_WEBHOOK_ALLOW_PRIVATE: z.preprocess(blankToUndefined, z.enum(["true", "false"]).default("false")),
  WARDEN_WEBHOOK_ALLOW_HOSTS: optional(),
  // Observability (docs/observability.md): LangSmith traces and OTLP export, both redacted like run_events.
  /** `true`: every run is one LangSmith trace, sent by Warden's redacting tracer. */
  LANGSMITH_TRACING: z.preprocess(blankToUndefined, z.enum(["true", "false"]).default("false")),
  LANGSMITH_API_KEY: optional(),
  /** Default: LangSmith's cloud API. */
  LANGSMITH_ENDPOINT: z.preprocess(blankToUndefined, z.url().optional()),
  LANGSMITH_PROJECT: z.preprocess(blankToUndefined, z.string().default("default")),
  /** Set: runs are exported as OTLP/HTTP spans to `<endpoint>/v1/traces` (GenAI semantic conventions). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(blankToUndefined, z.url().optional()),
  /** The traces URL itself, when it is not `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.preprocess(blankToUndefined, z.url().optional()),
  /** `key=value,key2=value2` sent with every export. */
  OTEL_EXPORTER_OTLP_HEADERS: optional(),
  OTEL_SERVICE_NAME: z.preprocess(blankToUndefined, z.string().default("warden")),
  /** How long `close()` waits for pending traces and spans to be delivered (ms). */
  WARDEN_TRACE_FLUSH_TIMEOUT_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(600_000).default(10_000)),
});
export type Config = z.infer<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return ConfigSchema.parse(env);
}
