import type { FastifyInstance } from "fastify";
import { WardenError } from "../../errors.js";
import { unencapsulated } from "./unencapsulated.js";

/** Deepest nesting of objects and arrays a JSON body may have; deeper bodies are refused before parsing. */
export const MAX_JSON_DEPTH = 64;

/**
 * Nesting depth of a JSON text, scanning it once without parsing (strings are skipped, so brackets inside
 * them do not count). Stops at `limit + 1`. A recursive consumer (JSON.stringify, a canonical hash, a driver)
 * overflows the stack on a body nested 100,000 deep, so such bodies never get past the parser.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b || char === 0x5b) {
      if (++depth > limit) return true;
    } else if (char === 0x7d || char === 0x5d) {
      depth--;
    }
  }
  return false;
}

/**
 * The only body parser: `application/json` (with or without parameters such as charset). Fastify's plain-text
 * parser is removed, so any other content type on a route that reads a body is 415 UNSUPPORTED_MEDIA_TYPE.
 * Prototype poisoning (`__proto__`, `constructor.prototype`) and over-deep nesting are 400 VALIDATION_FAILED.
 * An empty body is `undefined` (a POST without a body, e.g. a cancel, with a JSON content type is fine).
 */
export const jsonBodyPlugin = unencapsulated("warden-json-body", async (app: FastifyInstance) => {
  const secureParse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    if (text.trim().length === 0) return done(null, undefined);
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      return done(new WardenError("VALIDATION_FAILED", `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`), undefined);
    }
    secureParse(request, text, (error, value) => {
      if (!error) return done(null, value);
      done(new WardenError("VALIDATION_FAILED", poisoned(text) ? "The JSON body must not contain __proto__ or constructor.prototype keys." : "The request body is not valid JSON."), undefined);
    });
  });
});

/** After the secure parser refused a body: true when plain JSON.parse accepts it, i.e. only the keys were wrong. */
function poisoned(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
