import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions, type RawServerDefault } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Runtime } from "../runtime/create-runtime.js";
import { toErrorReply } from "./error-response.js";
import { authPlugin, createApiKeyVerifier, type ApiKeyVerifierOptions } from "./plugins/auth.js";
import { drainingPlugin } from "./plugins/draining.js";
import { errorHandlerPlugin } from "./plugins/error-handler.js";
import { idempotencyPlugin, type IdempotencyOptions } from "./plugins/idempotency.js";
import { jsonBodyPlugin } from "./plugins/json-body.js";
import { createMetrics, instrumentRuntime, metricsPlugin, type WardenMetrics } from "./plugins/metrics.js";
import { bodyTimeoutPlugin } from "./plugins/body-timeout.js";
import { openapiPlugin } from "./plugins/openapi.js";
import { DEFAULT_BODY_TIMEOUT_MS, requestTimeoutServerOptions, type RequestTimeoutOptions } from "./plugins/request-timeouts.js";
import { strictQueryPlugin } from "./plugins/strict-query.js";
import { securityPlugin, type RateLimitOptions } from "./plugins/security.js";
import { adminRoutes } from "./routes/admin.js";
import { adminFlagsRoutes } from "./routes/admin-flags.js";
import { adminReleasesRoutes } from "./routes/admin-releases.js";
import { adminWebhooksRoutes } from "./routes/admin-webhooks.js";
import { approvalsRoutes } from "./routes/approvals.js";
import { healthRoutes } from "./routes/health.js";
import { memoryRoutes } from "./routes/memory.js";
import { runsRoutes } from "./routes/runs.js";
import { schedulesRoutes } from "./routes/schedules.js";
import { threadsRoutes } from "./routes/threads.js";

/** The app createApp returns: Fastify with the zod type provider. */
export type WardenApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export interface AppOptions extends RequestTimeoutOptions {
  runtime: Runtime;
  /** Pino options (`true` = info level), or false for none (the default, for tests). Secrets are always redacted. */
  logger?: boolean | { level?: string; stream?: { write(line: string): void } };
  /** Per API key; default 600 requests a minute. `false` turns it off (benchmarks). */
  rateLimit?: RateLimitOptions | false;
  /** Largest request body in bytes; default 1 MiB. */
  bodyLimit?: number;
  /** Where metrics go; pass the same object's `onTraceEvent` to createRuntime for tool and policy counters. */
  metrics?: WardenMetrics;
  auth?: ApiKeyVerifierOptions;
  idempotency?: Omit<IdempotencyOptions, "db">;
  /** Shown in the OpenAPI document. */
  version?: string;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { max: 600, timeWindow: 60_000 };

/** Secrets never reach a log line, whatever a handler or plugin logs. */
const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
  "authorization",
  "key",
  "*.key",
  "api_key",
  "*.api_key",
  "apiKey",
  "*.apiKey",
];

const QUIET_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function loggerOption(logger: AppOptions["logger"]): FastifyServerOptions["logger"] {
  if (!logger) return false;
  const options = logger === true ? {} : logger;
  return { level: options.level ?? "info", redact: { paths: REDACT_PATHS, censor: "[redacted]" }, ...(options.stream ? { stream: options.stream } : {}) };
}

/**
 * Builds the HTTP API (not listening: call `listen`, or `inject` in tests). Wires, in sequence: strict query
 * strings, the body deadline, JSON body parsing, the error handler, metrics, OpenAPI, auth, helmet and the rate
 * limit, idempotency, then the routes. Node's request deadline and its 408 answer are constructor options.
 *
 * @example
 * const metrics = createMetrics();
 * const runtime = await createRuntime({ onTraceEvent: metrics.onTraceEvent });
 * const app = createApp({ runtime, metrics, logger: true });
 * await app.listen({ port: 8080 });
 */
export function createApp(options: AppOptions): WardenApp {
  const app = Fastify({
    logger: loggerOption(options.logger),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    // A caller's X-Request-Id is kept when it is a sane token; otherwise (or without one) a fresh UUID.
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Probes and scrapes every few seconds would drown the request log.
    logController: new LogController({ requestIdLogLabel: "request_id", disableRequestLogging: (request) => QUIET_PATHS.has(request.url) }),
    // Ids are at most 128 characters (their schemas say so with a 400); beyond this the router itself refuses.
    routerOptions: { maxParamLength: 512 },
    // Errors the router raises before any route runs (a malformed URL, an over-long path parameter).
    frameworkErrors: (error, request, reply) => {
      const mapped = toErrorReply(error);
      request.log.info({ code: mapped.body.error.code, status: mapped.statusCode }, mapped.body.error.message);
      const body = JSON.stringify(mapped.body);
      reply.raw.writeHead(mapped.statusCode, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), "x-request-id": request.id });
      reply.raw.end(body);
    },
    // In-flight requests finish on close; idle keep-alive sockets are closed so shutdown is not held open.
    forceCloseConnections: "idle",
    return503OnClosing: false, // drainingPlugin answers those requests in the API's error shape
    // A client that stops sending mid-request is answered 408 and disconnected instead of being held forever.
    ...requestTimeoutServerOptions(options.requestTimeoutMs),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });

  const metrics = options.metrics ?? createMetrics();
  const runtime = instrumentRuntime(options.runtime, metrics);
  const verifier = createApiKeyVerifier(runtime.store.db, options.auth);

  app.register(drainingPlugin);
  app.register(strictQueryPlugin); // before openapi and every route: it rewrites their query schemas
  app.register(bodyTimeoutPlugin, { timeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS });
  app.register(jsonBodyPlugin);
  app.register(errorHandlerPlugin);
  app.register(metricsPlugin, { metrics });
  app.register(openapiPlugin, { version: options.version ?? "0.1.0" });
  app.register(authPlugin, { verifier });
  app.register(securityPlugin, { rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT });
  app.register(idempotencyPlugin, { db: runtime.store.db, ...options.idempotency });

  app.register(healthRoutes, { runtime });
  app.register(adminRoutes, { runtime, verifier });
  app.register(adminReleasesRoutes, { runtime });
  app.register(adminFlagsRoutes, { runtime });
  app.register(adminWebhooksRoutes, { runtime });
  app.register(runsRoutes, { runtime });
  app.register(schedulesRoutes, { runtime });
  app.register(approvalsRoutes, { runtime });
  app.register(threadsRoutes, { runtime });
  app.register(memoryRoutes, { runtime });
  return app;
}
