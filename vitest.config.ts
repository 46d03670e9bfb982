import { defineConfig } from "vitest/config";

/**
 * Tests by what they need: `unit` nothing but the code (seconds: `npm run test:unit`), `integration` an embedded
 * PGlite, and Postgres too when DATABASE_URL is set, `process` spawned servers, CLIs and crashing children.
 * `npm test` runs all three.
 */
export default defineConfig({
  test: {
    // PGlite instances and Postgres schemas are opened per file; a few files at a time suit 2 cores.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "integration", include: ["test/integration/**/*.test.ts"] } },
      { extends: true, test: { name: "process", include: ["test/process/**/*.test.ts"] } },
    ],
  },
});
