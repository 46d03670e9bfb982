import type { Db, Queryable } from "../store/db.js";
import { appendRunEvents, lockRunEvents, readRunEvents } from "../store/run-events.js";
import { isUniqueViolation } from "../store/store-errors.js";
import { createRedactor, type Redactor } from "./redact.js";
import type { RunTrace, TraceEvent, TraceKind, TraceScope, TraceStore } from "./types.js";

export interface TraceStoreOptions {
  /** Applied to every event's attributes at `emit`, before anything else sees them. Default: `createRedactor()`. */
  redactor?: Redactor;
  /** Buffered events that trigger an automatic flush. Default 64. */
  batchSize?: number;
  /**
   * Called once per event after it is stored, by seq, with its final seq (live streaming, log sinks).
   * It fires at flush time: flush at the end of each step for a timely stream. A throwing hook is ignored,
   * so a broken sink cannot fail a run.
   */
  onEvent?: (event: TraceEvent) => void;
}

/** Rows per INSERT: at 3 parameters a row this stays far below Postgres' 65,535-parameter limit. */
const MAX_ROWS_PER_INSERT = 1000;
/** Attempts when another process appends to the same run at the same moment (unique violation on seq). */
const MAX_ATTEMPTS = 8;

/** Buffered events carry seq 0 until the database numbers them. */
type Pending = TraceEvent;

/**
 * jsonb rejects the NUL character (`\u0000`), and one such string would fail its whole batch on every retry,
 * blocking the run's trace. It becomes U+FFFD, the replacement character.
 */
const withoutNul = (_key: string, value: unknown): unknown =>
  typeof value === "string" && value.includes("\u0000") ? value.replaceAll("\u0000", "\uFFFD") : value;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Appends `events` as one statement and returns the seq given to the first (see `appendRunEvents`). */
async function insertBatch(db: Queryable, scope: TraceScope, events: Pending[]): Promise<number> {
  const rows = events.map((event) => ({ at: event.at, kind: event.kind, json: JSON.stringify(event, withoutNul) }));
  return appendRunEvents(db, scope.tenant, scope.runId, rows);
}

class BufferedRunTrace implements RunTrace {
  private buffer: Pending[] = [];
  /** Flushes of this run run one after another, so seq follows the emit sequence. */
  private chain: Promise<void> = Promise.resolve();
  /** Set after a seq collision: appends then serialise on an advisory lock (see `insertWithRetry`). */
  private contended = false;

  constructor(
    readonly scope: TraceScope,
    private readonly db: Db,
    private readonly redactor: Redactor,
    private readonly batchSize: number,
    private readonly onEvent: ((event: TraceEvent) => void) | undefined,
  ) {}

  emit(kind: TraceKind, attributes: Record<string, unknown>, node?: string): void {
    // Redact now: the buffer, the database and every hook only ever see the redacted copy.
    const event: Pending = {
      run_id: this.scope.runId,
      seq: 0,
      at: new Date().toISOString(),
      tenant: this.scope.tenant,
      release: this.scope.release,
      kind,
      ...(node === undefined ? {} : { node }),
      attributes: this.redactor.redact(attributes ?? {}),
    };
    this.buffer.push(event);
    // A failed automatic flush keeps its events buffered; the next explicit flush retries and reports it.
    if (this.buffer.length >= this.batchSize) this.flush().catch(() => {});
  }

  flush(): Promise<void> {
    const run = () => this.writeBuffered();
    const flushed = this.chain.then(run, run);
    this.chain = flushed.catch(() => {});
    return flushed;
  }

  async events(): Promise<TraceEvent[]> {
    await this.flush();
    return readEvents(this.db, this.scope.tenant, this.scope.runId, 0);
  }

  get bufferedCount(): number {
    return this.buffer.length;
  }

  private async writeBuffered(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, MAX_ROWS_PER_INSERT);
      let first: number;
      try {
        first = await this.insertWithRetry(batch);
      } catch (error) {
        this.buffer.unshift(...batch);
        throw error;
      }
      batch.forEach((event, index) => (event.seq = first + index));
      for (const event of batch) {
        try {
          this.onEvent?.(event);
        } catch {
          // A sink's failure must not fail the run or lose the stored events.
        }
      }
    }
  }

  /**
   * One statement in the common case. Once this run has collided with another writer (two processes resuming
   * it at once), every later append takes a transaction-scoped advisory lock on the run first: the writers then
   * queue instead of colliding again, and each INSERT's fresh snapshot sees the rows of the writer before it.
   */
  private async insertWithRetry(batch: Pending[]): Promise<number> {
    const { tenant, runId } = this.scope;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!this.contended) return await insertBatch(this.db, this.scope, batch);
        return await this.db.transaction(async (tx) => {
          await lockRunEvents(tx, tenant, runId);
          return insertBatch(tx, this.scope, batch);
        });
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= MAX_ATTEMPTS) throw error;
        this.contended = true;
        // A writer that has not collided yet appends without the lock and can win once more; back off a little.
        await pause(Math.random() * Math.min(50, 2 ** attempt));
      }
    }
  }
}

function readEvents(db: Db, tenant: string, runId: string, afterSeq: number): Promise<TraceEvent[]> {
  return readRunEvents<TraceEvent>(db, tenant, runId, afterSeq);
}

/**
 * Creates the Postgres/PGlite trace store. Each run gets a buffer in this process (`forRun`); `emit` redacts and
 * buffers synchronously, `flush` appends everything buffered with one multi-row INSERT into `run_events`, and
 * the database assigns seq 1, 2, 3... per run, continuing after whatever earlier processes stored.
 *
 * @example
 * const traces = createTraceStore(db, { redactor: createRedactor({ fields: ["customer_email"] }) });
 * const trace = traces.forRun({ tenant: "acme", runId, release: "shop@1" });
 * trace.emit("route.decided", { route: "return_workflow", reason: "return keyword" }, "route");
 * await traces.release(runId); // flushes and forgets the buffer
 */
export function createTraceStore(db: Db, options: TraceStoreOptions = {}): TraceStore & {
  /** Runs with a buffer in this process (for tests and leak checks). */
  activeRuns(): number;
} {
  const redactor = options.redactor ?? createRedactor();
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const runs = new Map<string, BufferedRunTrace>();

  return {
    forRun(scope) {
      const existing = runs.get(scope.runId);
      if (existing) {
        // Run ids are unique across tenants; a second tenant asking for the same id is a bug, not a new run.
        if (existing.scope.tenant !== scope.tenant) throw new Error(`run ${scope.runId} is traced for another tenant`);
        return existing;
      }
      const trace = new BufferedRunTrace({ ...scope }, db, redactor, batchSize, options.onEvent);
      runs.set(scope.runId, trace);
      return trace;
    },
    async release(runId) {
      const trace = runs.get(runId);
      if (!trace) return;
      // Forget the run even when the final flush fails: the error reaches the caller, the Map never grows.
      runs.delete(runId);
      await trace.flush();
    },
    read(tenant, runId, afterSeq = 0) {
      return readEvents(db, tenant, runId, afterSeq);
    },
    activeRuns: () => runs.size,
  };
}
