import type { Queryable } from "./db.js";

/**
 * What a pack adds to the database, as the store sees it: the store imports no pack, the layers above hand these
 * in (a kernel `Pack` has this shape). `name` is the scope its migrations are recorded under.
 */
export interface PackSchema {
  readonly name: string;
  /** Folder of the pack's numbered migrations (`001_<name>.sql`, ...), applied after the core's. */
  readonly migrations?: string | undefined;
  /**
   * Loads the pack's demo data into an empty database (no tenants yet), inside the seeding transaction. Seeds of
   * several packs run in one transaction: a tenant two packs both name must be inserted `ON CONFLICT DO NOTHING`.
   */
  readonly seed?: ((tx: Queryable) => Promise<void>) | undefined;
}
