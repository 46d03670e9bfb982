import { readdirSync } from "node:fs";
import { join } from "node:path";
import { releaseContentHash } from "./release-content-hash.js";
import { WardenError } from "../errors.js";
import type { GraphDeps } from "../kernel/deps.js";
import type { Db } from "../store/db.js";
import { latestEvalOf, latestEvalRun, type EvalRunRow } from "../store/eval-runs.js";
import {
  activateRelease,
  getActiveRelease,
  listActivations,
  lockTenantActivations,
  wasActivated,
  type ActivationKind,
  type ActivationRow,
  type ActiveReleaseRow,
} from "../store/releases.js";
import type { ToolDefinition } from "../tools/types.js";
import { loadRelease, PROJECT_ROOT, type Release } from "../kernel/release.js";

/** Which release a tenant runs when a request names none, and why. */
export interface ActiveRelease {
  tenant: string;
  release_id: string;
  /** "activated": set through `activate`; "default": none activated yet, the default release (WARDEN_RELEASE, warden.config.ts or the first pack's). */
  source: "activated" | "default";
  activated_by?: string;
  activated_at?: string;
}

/** What `activate` did: the new active release and how it got past the promotion gate (as recorded in the history). */
export interface ReleaseActivation extends ActiveRelease {
  source: "activated";
  activated_by: string;
  activated_at: string;
  kind: ActivationKind;
  content_hash: string | null;
  eval_id: string | null;
  reason: string | null;
}

export interface ActivateOptions {
  /** Activate even though the gate refuses (no passing eval of the current content). Needs `reason`; audited as `forced`. */
  force?: boolean;
  /** Why: required with `force`, recorded with any activation (e.g. the incident a rollback answers). */
  reason?: string;
}

/** A release's current content hash and the eval that speaks for it. */
export interface ReleaseEvalStatus {
  /** `releaseContentHash` of the files as they are now; null when it cannot be computed (the message says why). */
  content_hash: string | null;
  content_error?: string;
  /**
   * The newest eval of the current content if there is one (`current: true`: the gate follows its `gate`),
   * else the newest eval of the release's older content (`current: false`: the gate needs a new eval), else null.
   */
  latest_eval: (EvalRunRow & { current: boolean }) | null;
}

/**
 * The releases on disk and the active one per tenant (in the database). Activating the previous release is
 * the rollback of a bad one: `resolve` reads the row at every run start, so it acts on the next run, in every
 * process, without a restart.
 */
export interface ReleaseCatalog {
  /** Every valid `releases/*.json`, sorted by id. */
  list(): Release[];
  /** One release file, validated (RELEASE_NOT_FOUND / RELEASE_INVALID). */
  show(id: string): Release;
  active(tenant: string): Promise<ActiveRelease>;
  /**
   * Validates the release fully (prompt, policy, tools) before switching, so a broken file never goes live, and
   * keeps the promotion gate: a release the tenant never ran needs a passing eval of its current content hash
   * (EVAL_GATE_REQUIRED when there is none, EVAL_GATE_FAILED when the latest one failed), unless `force` with a
   * `reason` (VALIDATION_FAILED without one). A rollback (a release the tenant ran before, or the configured
   * default) is never blocked. The switch and its audit row commit together.
   */
  activate(tenant: string, releaseId: string, activatedBy: string, options?: ActivateOptions): Promise<ReleaseActivation>;
  /** The release's current content hash and its latest eval (for listings; the gate decides the same way). */
  evalStatus(releaseId: string): Promise<ReleaseEvalStatus>;
  /** The tenant's activations, newest first. */
  history(tenant: string, limit?: number): Promise<ActivationRow[]>;
  /** The release a run uses: the one it names, else the tenant's active one, else the default. */
  resolve(tenant: string, requested?: string): Promise<string>;
}

export interface ReleaseCatalogOptions {
  db: Db;
  deps: GraphDeps;
  defaultRelease: string;
  root?: string;
  /** The tool definitions the runtime registers (their manifests are part of the content hash). */
  tools: readonly ToolDefinition[];
}

/** Every valid `releases/*.json` under `root`, sorted by id (an invalid file is left out; `loadRelease` says why). */
export function listReleases(root: string = PROJECT_ROOT): Release[] {
  const ids = readdirSync(join(root, "releases"))
    .filter((name) => name.endsWith(".json"))
    .map((name) => name.slice(0, -".json".length))
    .sort();
  return ids.flatMap((id) => {
    try {
      return [loadRelease(id, root)];
    } catch {
      return [];
    }
  });
}

const OVERRIDE = `To override, an admin may force it with a reason (audited): \`npx warden release activate <id> --tenant <tenant> --force --reason "…"\` or PUT /v1/admin/releases/active {"release", "force": true, "reason"}.`;

function overrideHint(releaseId: string, tenant: string): string {
  return OVERRIDE.replace("<id>", releaseId).replace("<tenant>", tenant);
}

/** EVAL_GATE_REQUIRED / EVAL_GATE_FAILED, saying which eval, when, and what to do. */
function gateError(tenant: string, releaseId: string, status: ReleaseEvalStatus): WardenError {
  const run = `Run \`npx warden eval --release ${releaseId}\` and activate again once it passes.`;
  const latest = status.latest_eval;
  const details = {
    release: releaseId,
    content_hash: status.content_hash,
    latest_eval: latest ? { eval_id: latest.eval_id, gate: latest.gate, content_hash: latest.content_hash, created_at: latest.created_at, current: latest.current } : null,
  };
  if (latest?.current && latest.gate === "fail") {
    const why = latest.reasons.length > 0 ? ` (${latest.reasons.slice(0, 3).join("; ")})` : "";
    return new WardenError(
      "EVAL_GATE_FAILED",
      `Release ${releaseId} failed its promotion gate: the latest eval of its current content, ${latest.eval_id} at ${latest.created_at} on dataset ${latest.dataset}, ` +
        `failed ${latest.failed} of ${latest.cases} cases${why}. Fix the release and run \`npx warden eval --release ${releaseId}\` again. ${overrideHint(releaseId, tenant)}`,
      { details },
    );
  }
  const what = status.content_hash
    ? `Release ${releaseId} has no eval of its current content (${status.content_hash}).`
    : `Release ${releaseId} cannot pass the promotion gate: its content hash cannot be computed (${status.content_error}).`;
  const older = latest && !latest.current
    ? ` Its latest eval, ${latest.eval_id} at ${latest.created_at} (${latest.gate}), was of other content (${latest.content_hash}): the release file, prompt, policy, tools, dataset or framework versions changed since.`
    : "";
  return new WardenError("EVAL_GATE_REQUIRED", `${what}${older} ${run} ${overrideHint(releaseId, tenant)}`, { details });
}

export function createReleaseCatalog(options: ReleaseCatalogOptions): ReleaseCatalog {
  const root = options.root ?? PROJECT_ROOT;
  const { db } = options;
  const toActive = (tenant: string, row: ActiveReleaseRow | undefined): ActiveRelease =>
    row
      ? { tenant, release_id: row.release_id, source: "activated", activated_by: row.activated_by, activated_at: row.activated_at }
      : { tenant, release_id: options.defaultRelease, source: "default" };

  async function evalStatus(releaseId: string): Promise<ReleaseEvalStatus> {
    let contentHash: string | null = null;
    let contentError: string | undefined;
    try {
      contentHash = releaseContentHash(releaseId, { root, tools: options.tools }).hash;
    } catch (error) {
      contentError = error instanceof Error ? error.message : String(error);
    }
    const ofContent = contentHash ? await latestEvalRun(db, releaseId, contentHash) : undefined;
    const latest = ofContent ?? (await latestEvalOf(db, releaseId));
    return {
      content_hash: contentHash,
      ...(contentError === undefined ? {} : { content_error: contentError }),
      latest_eval: latest ? { ...latest, current: latest === ofContent } : null,
    };
  }

  return {
    list: () => listReleases(root),
    show: (id) => loadRelease(id, root),
    async active(tenant) {
      return toActive(tenant, await getActiveRelease(db, tenant));
    },
    evalStatus,
    async activate(tenant, releaseId, activatedBy, activateOptions = {}) {
      const force = activateOptions.force === true;
      const reason = activateOptions.reason?.trim() || null;
      if (force && !reason) {
        throw new WardenError("VALIDATION_FAILED", `Forcing release ${releaseId} past the promotion gate needs a reason (it is audited): --force --reason "…".`, {
          details: [{ path: "reason", message: "required with force" }],
        });
      }
      await options.deps.release(releaseId);
      const status = await evalStatus(releaseId);
      const latest = status.latest_eval?.current ? status.latest_eval : undefined;
      const row = await db.transaction(async (tx) => {
        await lockTenantActivations(tx, tenant);
        // Every tenant ran the configured default before its first activation; any release in its history ran too.
        const rollback = releaseId === options.defaultRelease || (await wasActivated(tx, tenant, releaseId));
        const kind: ActivationKind | undefined = rollback ? "rollback" : latest?.gate === "pass" ? "promotion" : force ? "forced" : undefined;
        if (!kind) throw gateError(tenant, releaseId, status);
        return activateRelease(tx, { tenant, releaseId, activatedBy, kind, contentHash: status.content_hash, evalId: latest?.eval_id ?? null, reason });
      });
      return {
        tenant,
        release_id: row.release_id,
        source: "activated",
        activated_by: row.activated_by,
        activated_at: row.activated_at,
        kind: row.kind,
        content_hash: row.content_hash,
        eval_id: row.eval_id,
        reason: row.reason,
      };
    },
    history: (tenant, limit) => listActivations(db, tenant, limit),
    async resolve(tenant, requested) {
      if (requested) return requested;
      return (await getActiveRelease(db, tenant))?.release_id ?? options.defaultRelease;
    },
  };
}
