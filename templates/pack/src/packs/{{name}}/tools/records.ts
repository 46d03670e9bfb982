/**
 * The {{name}} pack's sample data: three records every tenant sees, so the pack runs as generated. Replace it with
 * your system of record: a table of your own (queried through `ctx.db`, always filtered by `ctx.tenant`) or your
 * service's API, called from the tools in this folder.
 */
export const RECORD_STATUSES = ["active", "paused", "archived"] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];

export interface {{pascal}}Record {
  record_id: string;
  title: string;
  status: RecordStatus;
}

/** A record id: `{{prefix}}-` and three digits. */
export const RECORD_ID = /^{{prefix}}-\d{3}$/;

const SAMPLE_RECORDS: readonly {{pascal}}Record[] = [
  { record_id: "{{prefix}}-101", title: "First sample record", status: "active" },
  { record_id: "{{prefix}}-102", title: "Second sample record", status: "paused" },
  { record_id: "{{prefix}}-103", title: "Third sample record", status: "archived" },
];

/** The tenant's record with this id (the sample data is the same for every tenant). */
export function findRecord(tenant: string, recordId: string): {{pascal}}Record | undefined {
  void tenant;
  return SAMPLE_RECORDS.find((record) => record.record_id === recordId);
}
