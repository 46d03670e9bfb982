import { validate } from "@langchain/langgraph-checkpoint-validation";
import type pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BatchedPostgresSaver } from "../../src/store/batched-postgres-saver.js";
import type { Store } from "../../src/store/open-store.js";
import { backends } from "../helpers/backends.js";

// LangGraph's own conformance suite for checkpoint savers (getTuple, list, put, putWrites, delta channels) is
// written against vitest globals; this file hands them over instead of turning globals on for every suite.
Object.assign(globalThis, { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach });

for (const backend of backends) {
  let store: Store;
  validate<BatchedPostgresSaver>({
    checkpointerName: `BatchedPostgresSaver on ${backend.name}`,
    beforeAllTimeout: 60_000,
    async beforeAll() {
      store = await backend.open({ seed: false });
    },
    async afterAll() {
      await store?.close();
    },
    // One database for all instances, emptied for each: the suite requires instances not to see each other.
    async createCheckpointer() {
      await store.db.exec("TRUNCATE checkpoints, checkpoint_blobs, checkpoint_writes");
      return new BatchedPostgresSaver(store.db.pool as unknown as pg.Pool, undefined, { schema: store.db.schema });
    },
  });
}
