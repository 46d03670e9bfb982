import { randomUUID } from "node:crypto";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { Command } from "@langchain/langgraph";
import type { GraphDeps } from "../graph/deps.js";
import { buildRuntimeGraph } from "../graph/runtime.js";
import type { State } from "../graph/state.js";
import { isWardenError, WardenError } from "../errors.js";
import { decideApproval, getApproval } from "../store/approvals.js";
import { openStore, type Store } from "../store/open-store.js";
import { getRun, insertRun, updateRun } from "../store/runs.js";
import type { ToolDefinition } from "../tools/types.js";
import type { TraceEvent } from "../trace/types.js";
import { loadConfig, type Config } from "./config.js";
import { createGraphDeps } from "./create-graph-deps.js";
import { parseEnvelope, type RunEnvelope } from "./envelope.js";
import { loadRunRecord, type RunRecord } from "./run-record.js";

export interface RuntimeOptions {
  /** An open store (tests, or to share one between runtimes); otherwise opened from config and owned. */
  store?: Store;
  env?: Record<string, string | undefined>;
  model?: BaseChatModel;
  tools?: ToolDefinition[];
  root?: string;
  /** LangGraph checkpoint durability; "async" (default) writes each step's checkpoint without blocking it. */
  durability?: "sync" | "async" | "exit";
  onTraceEvent?: (event: TraceEvent) => void;
}

export interface ApprovalDecisionInput {
  tenant: string;
  approvalId: string;
  decision: "approve" | "reject";
  approver: string;
  /** The approver's roles (from their API key): `approver` is required. */
  roles: string[];
  comment?: string;
  /** Hash of the arguments the approver reviewed; when given it must match. */
  argsHash?: string;
}

/** The one facade the CLI, the server and the evals use to run Warden. */
export interface Runtime {
  readonly store: Store;
  readonly config: Config;
  readonly deps: GraphDeps;
  readonly graph: ReturnType<typeof compile>;
  start(envelope: RunEnvelope): Promise<RunRecord>;
  decide(input: ApprovalDecisionInput): Promise<RunRecord>;
  /**
   * Re-runs a failed run from its last checkpoint (after a crash or an infrastructure error). Steps that had
   * already caused an effect replay it from the effect ledger instead of repeating it.
   */
  recover(tenant: string, runId: string): Promise<RunRecord>;
  getRun(tenant: string, runId: string): Promise<RunRecord>;
  getTrace(tenant: string, runId: string, afterSeq?: number): Promise<TraceEvent[]>;
  close(): Promise<void>;
}

function compile(deps: GraphDeps, store: Store) {
  return buildRuntimeGraph(async () => deps).compile({ checkpointer: store.checkpointer, name: "runtime" });
}

export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const config = loadConfig(options.env ?? process.env);
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.WARDEN_DATA_DIR }));
  const deps = createGraphDeps({
    db: store.db,
    model: options.model,
    tools: options.tools,
    root: options.root,
    redactFields: config.WARDEN_REDACT_FIELDS,
    env: options.env ?? process.env,
    onTraceEvent: options.onTraceEvent,
  });
  const graph = compile(deps, store);
  const durability = options.durability ?? "async";

  /** Runs the graph until it finishes or waits, and writes the outcome to the runs row. */
  async function drive(tenant: string, runId: string, threadId: string, release: string, input: unknown): Promise<RunRecord> {
    const trace = deps.trace.forRun({ tenant, runId, release });
    try {
      const result = (await graph.invoke(input as never, { configurable: { thread_id: threadId }, durability })) as State & {
        __interrupt__?: unknown[];
      };
      const waiting = Array.isArray(result.__interrupt__) && result.__interrupt__.length > 0;
      await updateRun(store.db, tenant, runId, {
        status: waiting ? "waiting_approval" : (result.status ?? "completed"),
        route: result.routed_to ?? null,
        answer: waiting ? null : (result.answer ?? null),
      });
    } catch (error) {
      const code = isWardenError(error) ? error.code : "RUN_FAILED";
      const message = error instanceof Error ? error.message : String(error);
      trace.emit("run.failed", { error_code: code, error_message: message });
      await updateRun(store.db, tenant, runId, { status: "failed", error: { code, message } });
    } finally {
      await deps.trace.release(runId);
    }
    return loadRunRecord(store.db, tenant, runId);
  }

  return {
    store,
    config,
    deps,
    graph,
    async start(input) {
      const envelope = parseEnvelope(input);
      const release = envelope.release ?? config.WARDEN_RELEASE;
      await deps.release(release); // unknown or invalid release: a typed error before anything is stored
      const threadId = envelope.threadId ?? randomUUID();
      if (envelope.threadId) {
        const { rows } = await store.db.query(
          "SELECT 1 FROM runs WHERE tenant_id = $1 AND thread_id = $2 AND status IN ('running', 'waiting_approval') LIMIT 1",
          [envelope.tenant, threadId],
        );
        if (rows.length > 0) throw new WardenError("THREAD_BUSY", `Thread ${threadId} has a run that is still active.`);
      }
      const runId = randomUUID();
      await insertRun(store.db, {
        tenant_id: envelope.tenant,
        run_id: runId,
        thread_id: threadId,
        actor: envelope.actor,
        release_id: release,
        idempotency_key: envelope.idempotencyKey,
      });
      return drive(envelope.tenant, runId, threadId, release, {
        run_id: runId,
        thread_id: threadId,
        tenant: envelope.tenant,
        actor: envelope.actor,
        roles: envelope.roles,
        goal: envelope.goal,
        release,
        context: envelope.context ?? {},
      });
    },

    async decide(input) {
      const approval = await getApproval(store.db, input.tenant, input.approvalId);
      if (!approval) throw new WardenError("APPROVAL_NOT_FOUND", `Approval ${input.approvalId} was not found.`);
      if (!input.roles.includes("approver")) {
        throw new WardenError("APPROVAL_FORBIDDEN", "Deciding approvals needs the approver role.");
      }
      if (input.approver === approval.requested_by) {
        throw new WardenError("APPROVAL_FORBIDDEN", "The requester cannot approve their own request (four-eyes rule).");
      }
      if (input.argsHash !== undefined && input.argsHash !== approval.args_hash) {
        throw new WardenError("APPROVAL_MISMATCH", "The arguments you reviewed are not the ones pending approval.", {
          details: { expected: approval.args_hash, received: input.argsHash },
        });
      }
      if (approval.status !== "pending") {
        throw new WardenError("APPROVAL_CONFLICT", `Approval ${input.approvalId} was already ${approval.status}.`);
      }
      const run = await getRun(store.db, input.tenant, approval.run_id);
      if (!run || run.status !== "waiting_approval") {
        throw new WardenError("RUN_NOT_WAITING", `Run ${approval.run_id} is not waiting for an approval.`);
      }
      // The conditional update decides races between approvers: only the winner resumes the run (invariant 8).
      const won = await decideApproval(store.db, input.tenant, input.approvalId, {
        status: input.decision === "approve" ? "approved" : "rejected",
        decidedBy: input.approver,
        comment: input.comment,
      });
      if (!won) throw new WardenError("APPROVAL_CONFLICT", `Approval ${input.approvalId} was decided by someone else first.`);
      await updateRun(store.db, input.tenant, run.run_id, { status: "running" });
      const resume = {
        approval_id: approval.approval_id,
        decision: input.decision,
        approver: input.approver,
        comment: input.comment,
        args_hash: approval.args_hash,
      };
      return drive(input.tenant, run.run_id, run.thread_id, run.release_id, new Command({ resume }));
    },

    async recover(tenant, runId) {
      const run = await getRun(store.db, tenant, runId);
      if (!run) throw new WardenError("RUN_NOT_FOUND", `Run ${runId} was not found.`);
      if (run.status !== "failed") throw new WardenError("RUN_NOT_FAILED", `Run ${runId} is ${run.status}, not failed.`);
      await updateRun(store.db, tenant, runId, { status: "running" });
      // A null input resumes the thread from its last checkpoint: LangGraph re-runs the step that failed.
      return drive(tenant, runId, run.thread_id, run.release_id, null);
    },

    getRun: (tenant, runId) => loadRunRecord(store.db, tenant, runId),

    async getTrace(tenant, runId, afterSeq) {
      const run = await getRun(store.db, tenant, runId);
      if (!run) throw new WardenError("RUN_NOT_FOUND", `Run ${runId} was not found.`);
      return deps.trace.read(tenant, runId, afterSeq);
    },

    async close() {
      if (ownsStore) await store.close();
    },
  };
}
