/** A task run every `intervalMs`, never twice at once (a slow run skips the ticks that fall inside it). */
export interface Periodic {
  start(): void;
  stop(): void;
  /** Runs it now, or joins the run in flight. */
  run(): Promise<void>;
}

export function createPeriodic(task: () => Promise<unknown>, intervalMs: number, onError: (error: unknown) => void): Periodic {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const run = () =>
    (running ??= task()
      .then(() => undefined, onError)
      .finally(() => (running = undefined)));
  return {
    start() {
      timer ??= setInterval(() => void run(), intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    run,
  };
}
