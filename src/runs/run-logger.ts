/** The log lines durable execution writes (recoveries, engine errors): pino's shape, so the server's logger fits. */
export interface RunLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** For library use and tests: nothing is written. */
export const silentLogger: RunLogger = { info() {}, warn() {}, error() {} };
