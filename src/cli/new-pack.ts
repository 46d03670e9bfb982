import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { WardenError } from "../errors.js";
import { packNames, type PackNames } from "./pack-name.js";
import { registerPack } from "./register-pack.js";

export const NEW_USAGE = `warden new pack <name> [--root DIR]

  Writes a working pack from templates/pack/: its code in src/packs/<name>/ (a read tool <name>_lookup, a write
  tool <name>_update that needs an approval, a workflow with an approval, an agent, a router), its data files
  at the project root (releases/<name>@1.json, prompts/<name>@1.md, policies/<name>@1.json,
  evals/datasets/<name>@1.jsonl) and test/integration/packs/<name>.test.ts, and adds the pack to warden.config.ts.
  <name>: lower-case letters with single underscores between words (inventory, field_service).
  --root DIR   the project to write into (default: this one)
  Refuses (nothing written) when a file it would write exists or warden.config.ts already names the pack.
`;

/** The templates this package ships (repository root, so src/ outside packs names no domain). */
const TEMPLATES = fileURLToPath(new URL("../../templates/pack/", import.meta.url));
const PROJECT = fileURLToPath(new URL("../../", import.meta.url));
const PLACEHOLDER = /\{\{(\w+)\}\}/g;

export interface ScaffoldResult {
  names: PackNames;
  /** Written files, relative to the project root, sorted (warden.config.ts last). */
  files: string[];
}

function templateFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** `{{name}}`, `{{camel}}`, ... replaced; a placeholder the names do not define is a template bug. */
function render(text: string, names: PackNames, where: string): string {
  return text.replace(PLACEHOLDER, (whole, key: string) => {
    if (!Object.hasOwn(names, key)) throw new Error(`${where}: unknown template placeholder ${whole}`);
    return names[key as keyof PackNames];
  });
}

/**
 * Writes a new pack into `root` (see NEW_USAGE). Everything is checked before the first write: the name, that
 * no file exists yet, and that warden.config.ts has the shape it edits.
 * @throws WardenError PACK_NAME_INVALID, PACK_EXISTS, CONFIG_INVALID
 */
export function scaffoldPack(options: { name: string | undefined; root?: string; templates?: string }): ScaffoldResult {
  const names = packNames(options.name);
  const root = options.root ?? PROJECT;
  const templates = options.templates ?? TEMPLATES;
  const planned = templateFiles(templates).map((template) => ({
    path: render(template, names, template),
    text: render(readFileSync(join(templates, template), "utf8"), names, template),
  }));
  const taken = [join("src", "packs", names.name), ...planned.map((file) => file.path)].filter((path) => existsSync(join(root, path)));
  if (taken.length > 0) {
    throw new WardenError("PACK_EXISTS", `A pack named ${names.name} exists already (${taken.join(", ")}); choose another name.`, { details: { name: names.name, paths: taken } });
  }
  const configPath = join(root, "warden.config.ts");
  if (!existsSync(configPath)) throw new WardenError("CONFIG_INVALID", `${configPath} does not exist: it declares the packs Warden runs.`);
  const config = registerPack(readFileSync(configPath, "utf8"), { value: `${names.camel}Pack`, importPath: `./src/packs/${names.name}/index.js` });
  for (const file of planned) {
    mkdirSync(dirname(join(root, file.path)), { recursive: true });
    writeFileSync(join(root, file.path), file.text, { flag: "wx" });
  }
  writeFileSync(configPath, config);
  return { names, files: [...planned.map((file) => file.path), "warden.config.ts"] };
}

/** `warden new pack <name> [--root DIR]`: prints what it wrote and what to run next. */
export async function runNew(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: { root: { type: "string" } } });
  } catch (error) {
    throw new WardenError("VALIDATION_FAILED", `${(error as Error).message}\n\n${NEW_USAGE}`);
  }
  const [kind, name, ...extra] = parsed.positionals;
  if (kind !== "pack" || extra.length > 0) throw new WardenError("VALIDATION_FAILED", `warden new takes one kind, pack, and a name.\n\n${NEW_USAGE}`);
  if (name === undefined) throw new WardenError("PACK_NAME_INVALID", `warden new pack needs a name.\n\n${NEW_USAGE}`);
  const { names, files } = scaffoldPack({ name, ...(parsed.values.root ? { root: resolve(parsed.values.root) } : {}) });
  const lines = [
    `Created the ${names.name} pack:`,
    ...files.map((file) => `  ${file === "warden.config.ts" ? `${file} (added ${names.camel}Pack)` : file}`),
    "",
    "Next:",
    "  npm run typecheck",
    `  npx vitest run test/integration/packs/${names.name}.test.ts`,
    `  npx warden eval --release ${names.name}@1`,
    `  npx warden serve   # then POST /v1/runs {"goal": "Set ${names.prefix}-101 to paused.", "release": "${names.name}@1"}`,
    "",
  ];
  process.stdout.write(lines.join("\n"));
}
