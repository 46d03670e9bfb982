/** What the bar shows: the experiment, cases done of total, and failures so far. */
export interface Progress {
  release: string;
  done: number;
  total: number;
  failed: number;
}

/**
 * A one-line progress bar on a TTY (`release [#####-----] 12/44, 1 failed`), redrawn in place with `\r`.
 * Only for terminals: a pipe or a CI log gets the final summary alone.
 */
export function createProgressBar(stream: NodeJS.WriteStream, width = 30) {
  let last = "";
  return {
    update(progress: Progress) {
      const filled = progress.total === 0 ? width : Math.round((progress.done / progress.total) * width);
      const line = `${progress.release} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${progress.done}/${progress.total}${progress.failed ? `, ${progress.failed} failed` : ""}`;
      if (line === last) return;
      last = line;
      stream.write(`\r${line}\x1b[K`);
      if (progress.done === progress.total) stream.write("\n");
    },
    done() {
      last = "";
    },
  };
}
