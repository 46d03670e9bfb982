import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { createJsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import { unencapsulated } from "./unencapsulated.js";

const DOCS_PREFIX = "/docs";

/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas, at GET /openapi.json, and Swagger UI at
 * /docs (its static files come from the package: works offline). Must be registered before the routes: it
 * collects them as they are added. Every /v1 route is documented with bearer auth.
 */
export const openapiPlugin = unencapsulated<{ version: string }>("warden-openapi", async (app: FastifyInstance, options) => {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Warden API",
        version: options.version,
        description: "Governed agent runs, approvals, threads and traces. See docs/api.md for auth, errors, idempotency and streaming.",
      },
      components: { securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "An API key: wdn_<id>_<secret>" } } },
      security: [{ apiKey: [] }],
    },
    transform: createJsonSchemaTransform({
      skipList: [`${DOCS_PREFIX}`, `${DOCS_PREFIX}/`, `${DOCS_PREFIX}/*`, `${DOCS_PREFIX}/static/*`, `${DOCS_PREFIX}/json`, `${DOCS_PREFIX}/yaml`],
    }),
    transformObject: jsonSchemaTransformObject,
  });
  // Swagger UI's routes carry no `config.public`: mark them, so the rate limit leaves them alone like /healthz.
  app.addHook("onRoute", (route) => {
    if (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`)) route.config = { ...route.config, public: true };
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });
  app.get("/openapi.json", { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
});
