import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { GraphDeps } from "../graph/deps.js";
import type { Db } from "../store/db.js";
import { activateRelease, getActiveRelease, listActivations, type ActivationRow } from "../store/releases.js";
import { loadRelease, PROJECT_ROOT, type Release } from "./release.js";

/** Which release a tenant runs when a request names none, and why. */
export interface ActiveRelease {
  tenant: string;
  release_id: string;
  /** "activated": set through `activate`; "default": none activated yet, the configured WARDEN_RELEASE. */
  source: "activated" | "default";
  activated_by?: string;
  activated_at?: string;
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
  /** Validates the release fully (prompt, policy, tools) before switching, so a broken file never goes live. */
  activate(tenant: string, releaseId: string, activatedBy: string): Promise<ActiveRelease>;
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

export function createReleaseCatalog(options: ReleaseCatalogOptions): ReleaseCatalog {
  const root = options.root ?? PROJECT_ROOT;
  const toActive = (tenant: string, row: ActivationRow | undefined): ActiveRelease =>
    row
      ? { tenant, release_id: row.release_id, source: "activated", activated_by: row.activated_by, activated_at: row.activated_at }
      : { tenant, release_id: options.defaultRelease, source: "default" };
  return {
    list: () => listReleases(root),
    show: (id) => loadRelease(id, root),
    async active(tenant) {
      return toActive(tenant, await getActiveRelease(options.db, tenant));
    },
    async activate(tenant, releaseId, activatedBy) {
      await options.deps.release(releaseId);
      return toActive(tenant, await activateRelease(options.db, tenant, releaseId, activatedBy));
    },
    history: (tenant, limit) => listActivations(options.db, tenant, limit),
    async resolve(tenant, requested) {
      if (requested) return requested;
      return (await getActiveRelease(options.db, tenant))?.release_id ?? options.defaultRelease;
    },
  };
}
