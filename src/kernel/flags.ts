import type { Db } from "../store/db.js";
import { clearFlag, GLOBAL_TENANT, listAllFlags, setFlag, type FlagKind, type FlagRow, type SetFlagInput } from "../store/flags.js";

/** The flags that apply to one tenant right now: its own and the global ones (a tenant's row wins). */
export interface FlagSnapshot {
  /** The switch disabling `kind`/`target` for this tenant, if one is on. */
  find(kind: FlagKind, target?: string): FlagRow | undefined;
}

/**
 * Rollback switches, read at every step. All processes read the `flags` table; each caches it for at most
 * `maxStalenessMs` (1 s), so a switch set anywhere acts everywhere within a second at the cost of one small
 * query per second per process, not one per step. A switch set through this object acts here at once.
 */
export interface Flags {
  forTenant(tenant: string): Promise<FlagSnapshot>;
  set(input: SetFlagInput): Promise<FlagRow>;
  clear(tenant: string, kind: FlagKind, target?: string): Promise<boolean>;
  /** The rows of `tenant` (and, with `includeGlobal`, the global ones). */
  list(tenant: string, includeGlobal?: boolean): Promise<FlagRow[]>;
}

export interface FlagsOptions {
  /** Longest a cached read is used (default 1000 ms). */
  maxStalenessMs?: number;
  now?: () => number;
}

/**
 * @example
 * const flags = createFlags(store.db);
 * await flags.set({ tenant: "acme", kind: "tool", target: "send_message", setBy: "ops" });
 * (await flags.forTenant("acme")).find("tool", "send_message"); // the row
 */
export function createFlags(db: Db, options: FlagsOptions = {}): Flags {
  const maxStaleness = options.maxStalenessMs ?? 1000;
  const now = options.now ?? Date.now;
  let cached: { at: number; rows: Promise<FlagRow[]> } | undefined;

  function rows(): Promise<FlagRow[]> {
    if (!cached || now() - cached.at >= maxStaleness) {
      const loading = listAllFlags(db);
      cached = { at: now(), rows: loading };
      // A failed read is not kept: the next step tries again instead of running on an error for a second.
      loading.catch(() => {
        if (cached?.rows === loading) cached = undefined;
      });
    }
    return cached.rows;
  }

  return {
    async forTenant(tenant) {
      const all = (await rows()).filter((row) => row.tenant_id === tenant || row.tenant_id === GLOBAL_TENANT);
      return {
        find(kind, target = "") {
          const matches = all.filter((row) => row.kind === kind && row.target === target);
          return matches.find((row) => row.tenant_id === tenant) ?? matches[0];
        },
      };
    },
    async set(input) {
      const row = await setFlag(db, input);
      cached = undefined;
      return row;
    },
    async clear(tenant, kind, target) {
      const cleared = await clearFlag(db, tenant, kind, target);
      cached = undefined;
      return cleared;
    },
    async list(tenant, includeGlobal = false) {
      cached = undefined;
      return (await rows()).filter((row) => row.tenant_id === tenant || (includeGlobal && row.tenant_id === GLOBAL_TENANT));
    },
  };
}
