import { RECORD_STATUSES, type RecordStatus } from "./tools/records.js";

/** A record id as people type it (`{{prefix}}-101`, `{{prefix}}101`, any case), standing on its own. */
const RECORD_ID_IN_TEXT = /(?<![A-Za-z0-9])({{prefix}})-?(\d{3})(?![A-Za-z0-9])/i;
/** "set / mark / change … to / as <status>" */
const STATUS_CHANGE = new RegExp(String.raw`\b(?:set|mark|change|move|switch|put)\b[^.?!]*?\b(?:to|as)\s+(${RECORD_STATUSES.join("|")})\b`, "i");

/** The first record id in `text`, canonical (`{{prefix}}-101`), or undefined. */
export function recordIdIn(text: string): string | undefined {
  const match = RECORD_ID_IN_TEXT.exec(text);
  return match ? `${match[1]!.toUpperCase()}-${match[2]}` : undefined;
}

export interface StatusChange {
  record_id: string;
  status: RecordStatus;
}

/**
 * The status change a request asks for, or undefined when it asks for none: the context's `record_id` and
 * `status`, or a goal that names a record and says what to set it to ("Set {{prefix}}-101 to paused"). The
 * router and the workflow's first step read requests with this one function, so they never disagree.
 */
export function requestedChange(goal: string, context: Record<string, unknown> | undefined): StatusChange | undefined {
  if (typeof context?.record_id === "string" && typeof context.status === "string") {
    const recordId = recordIdIn(context.record_id);
    const status = RECORD_STATUSES.find((candidate) => candidate === context.status);
    if (recordId && status) return { record_id: recordId, status };
  }
  const recordId = recordIdIn(goal);
  const status = RECORD_STATUSES.find((candidate) => candidate === STATUS_CHANGE.exec(goal)?.[1]?.toLowerCase());
  return recordId && status ? { record_id: recordId, status } : undefined;
}
