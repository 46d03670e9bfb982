import { createHash } from "node:crypto";
import { canonicalJson } from "../contracts/canonical-json.js";
import type { parseEnvelope } from "./envelope.js";

type Envelope = ReturnType<typeof parseEnvelope>;

/** The graph input of a run's first execution, stored on the run (a recovery before its first checkpoint reuses it). */
export function graphInputOf(envelope: Envelope, ids: { runId: string; threadId: string; release: string }): Record<string, unknown> {
  return {
    run_id: ids.runId,
    thread_id: ids.threadId,
    tenant: envelope.tenant,
    actor: envelope.actor,
    roles: envelope.roles,
    goal: envelope.goal,
    release: ids.release,
    context: envelope.context ?? {},
    // Only when given (each input key is a checkpoint write); intake drops a subject a previous run left.
    ...(envelope.subject ? { subject: envelope.subject, subject_run: ids.runId } : {}),
  };
}

/** What makes two run requests "the same request" for an idempotency key (the generated ids are not part of it). */
export function requestHash(envelope: Envelope, options: { mode: string; strategy: string; webhook: string | undefined }): string {
  const request = {
    tenant: envelope.tenant,
    actor: envelope.actor,
    roles: [...envelope.roles].sort(),
    goal: envelope.goal,
    release: envelope.release ?? null,
    thread: envelope.threadId ?? null,
    context: envelope.context ?? null,
    subject: envelope.subject ?? null,
    ...options,
  };
  return "sha256:" + createHash("sha256").update(canonicalJson(request)).digest("hex");
}
