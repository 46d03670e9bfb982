/**
 * One progress line on stderr for the slow steps of a CLI command ("opening the database…"), redrawn in place and
 * erased when the command is done, so what the command prints afterwards starts on a clean line.
 *
 * Only on a terminal: when stderr is a pipe or a file (CI, a test, `2>log`) nothing is ever written, so logs and
 * captured output stay exactly what they were. stdout may be captured (`KEY=$(warden keys create …)`): the person
 * waiting still sees why it takes a while. A step that ends within `delayMs` is never drawn (no flicker).
 */
export interface StepProgress {
  /** Names the step now running (replaces the previous one). */
  step(label: string): void;
  /** Erases the line; call before printing results or errors. Safe to call more than once. */
  done(): void;
  /**
   * A line that stays (`warden: starting…`), for a process whose own output (a server's log) would otherwise be
   * written after a line drawn in place.
   */
  note(label: string): void;
}

export interface StepProgressOptions {
  stream?: NodeJS.WriteStream;
  delayMs?: number;
  env?: NodeJS.ProcessEnv;
}

const SILENT: StepProgress = { step() {}, done() {}, note() {} };

export function createStepProgress(options: StepProgressOptions = {}): StepProgress {
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  // A dumb terminal cannot erase a line; CI sometimes allocates a pseudo-TTY whose log keeps every redraw.
  if (!stream.isTTY || env.TERM === "dumb" || env.CI) return SILENT;
  const delayMs = options.delayMs ?? 250;
  let label: string | undefined;
  let drawn = false;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    timer = undefined;
    if (label === undefined) return;
    stream.write(`\r${label}\x1b[K`);
    drawn = true;
  };
  const done = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    label = undefined;
    if (drawn) stream.write("\r\x1b[K");
    drawn = false;
  };
  return {
    step(next) {
      label = `warden: ${next}…`;
      if (drawn) draw();
      else if (!timer) {
        timer = setTimeout(draw, delayMs);
        // Never what keeps the process alive.
        timer.unref();
      }
    },
    done,
    note(text) {
      done();
      stream.write(`warden: ${text}…\n`);
    },
  };
}

/** The process-wide line: commands and the store opener share it, so only one line is ever on screen. */
export const progress: StepProgress = createStepProgress();
