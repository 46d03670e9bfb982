/**
 * Writes docs/trace-event.schema.json from the zod schemas: `npx tsx src/trace/generate-trace-schema.ts`.
 * test/integration/trace.test.ts fails when the committed file differs from what this writes, so the two cannot drift.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { traceEventJsonSchema } from "./event-schema.js";

/** The file's exact text: two-space JSON with a trailing newline. */
export function traceEventJsonSchemaText(): string {
  return `${JSON.stringify(traceEventJsonSchema(), null, 2)}\n`;
}

export const TRACE_SCHEMA_PATH = fileURLToPath(new URL("../../docs/trace-event.schema.json", import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(TRACE_SCHEMA_PATH, traceEventJsonSchemaText());
  console.log(`wrote ${TRACE_SCHEMA_PATH}`);
}
