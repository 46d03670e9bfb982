import type { z } from "zod";
import type { Queryable } from "../store/db.js";

/**
 * Rows a pack's eval cases can add beyond its seed (a script step `{"do": "<name>", …}` in a dataset). The core
 * knows no domain table: the pack that owns the table validates the step and writes the row.
 */
export interface FixtureDefinition<Row = unknown> {
  /** What the step adds, for error messages and docs. */
  description: string;
  /** Validates the step's fields (everything but `do`) and applies defaults. */
  schema: z.ZodType<Row>;
  /** Writes the row for `tenant` into the case's own database. */
  insert(db: Queryable, tenant: string, row: Row): Promise<void>;
}

/**
 * Declares a fixture step.
 *
 * @example
 * const addItem = defineFixture({
 *   description: "a stock item", schema: z.strictObject({ sku: z.string(), count: z.number().int() }),
 *   insert: (db, tenant, row) => db.query("INSERT INTO stock VALUES ($1, $2, $3)", [tenant, row.sku, row.count]).then(() => {}),
 * });
 */
export function defineFixture<Schema extends z.ZodType>(spec: {
  description: string;
  schema: Schema;
  insert(db: Queryable, tenant: string, row: z.output<Schema>): Promise<void>;
}): FixtureDefinition<z.output<Schema>> {
  return Object.freeze({ ...spec }) as FixtureDefinition<z.output<Schema>>;
}
