import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../src/kernel/release.js";

/**
 * A copy of the project's versioned data (releases, prompts, policies, thresholds, the lock file) in a temp dir,
 * so a test can add a candidate release or edit a prompt without touching the repository.
 */
export function createEvalRoot(): { root: string; write(path: string, text: string): void; read(path: string): string; json(path: string): any; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), "warden-evals-"));
  for (const dir of ["releases", "prompts", "policies"]) cpSync(join(PROJECT_ROOT, dir), join(root, dir), { recursive: true });
  mkdirSync(join(root, "evals", "datasets"), { recursive: true });
  cpSync(join(PROJECT_ROOT, "evals", "thresholds.json"), join(root, "evals", "thresholds.json"));
  cpSync(join(PROJECT_ROOT, "package-lock.json"), join(root, "package-lock.json"));
  return {
    root,
    write(path, text) {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), text);
    },
    read: (path) => readFileSync(join(root, path), "utf8"),
    json: (path) => JSON.parse(readFileSync(join(root, path), "utf8")),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
