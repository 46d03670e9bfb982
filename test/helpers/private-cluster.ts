import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./processes.js";

const run = promisify(execFile);

/** True when Debian's postgresql-common cluster tools are on PATH (what a private cluster needs). */
export function hasClusterTools(): boolean {
  return ["pg_createcluster", "pg_ctlcluster", "pg_dropcluster"].every((tool) => spawnSync("which", [tool]).status === 0);
}

/**
 * A Postgres cluster of the test's own (Debian's `pg_createcluster`), on a free port with trust authentication,
 * so a test can stop and start the database server under load without touching the shared one. `drop()` stops and
 * deletes it; call it in a finally / afterAll.
 */
export interface PrivateCluster {
  name: string;
  version: string;
  port: number;
  /** A connection string for `database` on this cluster. */
  url(database?: string): string;
  /** `pg_ctlcluster stop -m fast`: open connections are cut, transactions in flight roll back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  drop(): Promise<void>;
}

/** The major version of the server `serverUrl` names: the cluster tools create one of that version. */
export async function serverMajorVersion(serverUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version_num: string }>("SHOW server_version_num");
    return String(Math.floor(Number(rows[0]!.server_version_num) / 10_000));
  } finally {
    await client.end();
  }
}

export async function createPrivateCluster(version: string): Promise<PrivateCluster> {
  const name = `warden_chaos_${randomBytes(4).toString("hex")}`;
  const port = await freePort();
  // initdb's --auth=trust writes a pg_hba.conf that trusts local and loopback connections; fsync off: the data is
  // thrown away afterwards, and a fast shutdown still checkpoints, so nothing committed is lost across a restart.
  await run("pg_createcluster", [version, name, "--port", String(port), "--start-conf=manual", "-o", "fsync=off", "-o", "max_connections=200", "--", "--auth=trust"]);
  const cluster: PrivateCluster = {
    name,
    version,
    port,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop: async () => void (await run("pg_ctlcluster", [version, name, "stop", "-m", "fast"])),
    start: async () => void (await run("pg_ctlcluster", [version, name, "start"])),
    drop: async () => void (await run("pg_dropcluster", ["--stop", version, name])),
  };
  try {
    await cluster.start();
  } catch (error) {
    await cluster.drop().catch(() => {});
    throw error;
  }
  return cluster;
}
