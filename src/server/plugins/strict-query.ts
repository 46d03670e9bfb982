import type { FastifyInstance, RouteOptions } from "fastify";
import { z } from "zod";
import { unencapsulated } from "./unencapsulated.js";

export interface StrictQueryOptions {
  /** Path prefixes left alone (Swagger UI's static routes). Default `["/docs"]`. */
  exempt?: string[];
}

const NO_PARAMETERS = z.strictObject({});

function isExempt(url: string, exempt: string[]): boolean {
  return exempt.some((prefix) => url === prefix || url.startsWith(`${prefix}/`));
}

/** A route's query schema made strict: none becomes "no parameters", a zod object refuses keys it does not declare. */
function strictQuerystring(schema: unknown): unknown {
  if (schema === undefined) return NO_PARAMETERS;
  if (schema instanceof z.ZodObject && !(schema._zod.def.catchall instanceof z.ZodNever)) return schema.strict();
  return schema; // already strict, or not an object schema (nothing to add keys to)
}

/**
 * Unknown query parameters are a 400 VALIDATION_FAILED on every route, like unknown body fields: `?tenant=globex`
 * on an admin route must not look as if it were honoured. One `onRoute` hook gives each route without a
 * querystring schema a strict empty one and makes declared object schemas strict, so a new route cannot forget.
 * Register it before the routes and before the OpenAPI plugin (which reads the schemas as routes are added).
 */
export const strictQueryPlugin = unencapsulated<StrictQueryOptions>("warden-strict-query", async (app: FastifyInstance, options) => {
  const exempt = options.exempt ?? ["/docs"];
  app.addHook("onRoute", (route: RouteOptions) => {
    if (isExempt(route.url, exempt)) return;
    const querystring = strictQuerystring(route.schema?.querystring);
    if (querystring !== route.schema?.querystring) route.schema = { ...route.schema, querystring };
  });
});
