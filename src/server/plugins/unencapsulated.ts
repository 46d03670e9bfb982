import type { FastifyPluginAsync, FastifyPluginOptions } from "fastify";

/**
 * Marks a plugin so its hooks, decorators and handlers apply to the instance that registers it (what
 * `fastify-plugin` does, without depending on that package): Fastify skips its encapsulation for plugins
 * carrying `Symbol.for("skip-override")`.
 */
export function unencapsulated<Options extends FastifyPluginOptions>(name: string, plugin: FastifyPluginAsync<Options>): FastifyPluginAsync<Options> {
  const marked = plugin as FastifyPluginAsync<Options> & Record<symbol, unknown>;
  marked[Symbol.for("skip-override")] = true;
  marked[Symbol.for("fastify.display-name")] = name;
  return marked;
}
