import { startServer } from "../server/serve.js";

/**
 * `warden serve`: the HTTP API on PORT/HOST until SIGTERM or SIGINT, then a graceful stop (in-flight requests
 * finish, the database closes) and exit code 0. A second signal during the stop exits at once with 1.
 * Resolves with the exit code once stopped.
 */
export async function runServe(): Promise<number> {
  const server = await startServer({
    onAdminKey: (created) => {
      process.stdout.write(
        `\nCreated the first admin key (tenant ${created.tenant}, actor ${created.actor}, roles ${created.roles.join(",")}).\n` +
          `It is shown only this once; store it now:\n\n  ${created.key}\n\n`,
      );
    },
  });
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        server.app.log.warn({ signal }, "second signal: exiting without waiting");
        process.exit(1);
      }
      stopping = true;
      server.app.log.info({ signal }, "shutting down: finishing in-flight requests");
      server.close().then(
        () => {
          server.app.log.info("stopped");
          resolve(0);
        },
        (error: unknown) => {
          server.app.log.error({ err: error }, "shutdown failed");
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
