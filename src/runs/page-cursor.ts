import { z } from "zod";
import { WardenError } from "../errors.js";
import type { PagePosition } from "../store/run-listing.js";

// Postgres' text form of a timestamptz (`2026-12-02 02:35:25.123456+00`): cast back exactly, to the microsecond.
const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;
const Position = z.strictObject({ at: z.string().regex(TIMESTAMP_TEXT), id: z.string().min(1).max(128) });

/** An opaque cursor for the page after `position` (base64url JSON; clients must not build or parse it). */
export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify(position), "utf8").toString("base64url");
}

/** The position a cursor names; a cursor that is not one of ours is a 400, never a database error. */
export function decodeCursor(cursor: string | undefined): PagePosition | undefined {
  if (cursor === undefined) return undefined;
  try {
    const position = Position.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return position;
  } catch {
    throw new WardenError("VALIDATION_FAILED", "The cursor is not valid; pass the next_cursor of a previous page unchanged.", {
      details: [{ path: "querystring.cursor", message: "not a cursor this API returned" }],
    });
  }
}
