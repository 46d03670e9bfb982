import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";

/**
 * A fresh PGlite cluster runs initdb in WebAssembly every time: 3–5 s of CPU on this kind of machine, for an
 * in-memory database as for a new data directory. A tarball of one freshly initialised cluster (`dumpDataDir`)
 * loads in about a third of that (`loadDataDir`), so the first fresh cluster of a process is dumped once, in
 * memory and to the OS temp dir (per PGlite version: the format is the version's), and later fresh clusters, in
 * this process or another, start from it. The template holds nothing but an empty initdb'd cluster; migrations
 * and data always run on top. Any problem with the cached file means a plain initdb, never a failed open.
 */
/** The package's own version (its package.json is not exported: found from the entry point's folder). */
function pgliteVersion(): string {
  try {
    const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
    const root = entry.slice(0, entry.lastIndexOf("/dist/"));
    return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}
const version = pgliteVersion();
/** Where the template is kept between processes (exported for the test that corrupts it). */
export const CACHE_FILE = join(tmpdir(), `warden-pglite-template-${version}.tar`);

let template: Promise<Blob | undefined> | undefined;

function readCached(): Blob | undefined {
  try {
    return new Blob([readFileSync(CACHE_FILE)]);
  } catch {
    return undefined;
  }
}

async function build(): Promise<Blob | undefined> {
  const cached = readCached();
  if (cached) return cached;
  const fresh = new PGlite();
  try {
    await fresh.waitReady;
    const dump = await fresh.dumpDataDir("none");
    try {
      // Written beside and renamed, so a reader never sees half a file (two processes may race: both are right).
      const partial = `${CACHE_FILE}.${process.pid}.partial`;
      writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
      renameSync(partial, CACHE_FILE);
    } catch {
      // A read-only temp dir only costs later processes the initdb.
    }
    return dump;
  } catch {
    return undefined;
  } finally {
    await fresh.close().catch(() => undefined);
  }
}

/** The empty-cluster tarball fresh clusters start from; undefined when none could be made (plain initdb then). */
export function pgliteTemplate(): Promise<Blob | undefined> {
  template ??= build();
  return template;
}

/** Warden's own lock file (data-dir-lock.ts) sits in the data directory before the cluster does. */
const LOCK_FILE = "warden.lock";

function clusterFiles(dataDir: string): string[] {
  try {
    return readdirSync(dataDir).filter((name) => name !== LOCK_FILE);
  } catch {
    return [];
  }
}

/** A data directory that does not exist yet or holds no cluster gets a fresh one (initdb), so the template applies. */
export function isFreshDataDir(dataDir: string): boolean {
  return clusterFiles(dataDir).length === 0;
}

/** Opens PGlite, from the template when the cluster is fresh; a template that fails to load falls back to initdb. */
export async function openPglite(dataDir: string | undefined): Promise<PGlite> {
  const fresh = dataDir === undefined || isFreshDataDir(dataDir);
  const loadDataDir = fresh ? await pgliteTemplate() : undefined;
  if (loadDataDir) {
    try {
      if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
      const pglite = dataDir === undefined ? new PGlite({ loadDataDir }) : new PGlite(dataDir, { loadDataDir });
      await pglite.waitReady;
      return pglite;
    } catch {
      // A bad cached file: dropped (the next process rebuilds it), and whatever it half wrote goes with it.
      template = undefined;
      try {
        unlinkSync(CACHE_FILE);
      } catch {
        // already gone
      }
      if (dataDir !== undefined) for (const name of clusterFiles(dataDir)) rmSync(join(dataDir, name), { recursive: true, force: true });
    }
  }
  const pglite = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
  await pglite.waitReady;
  return pglite;
}
