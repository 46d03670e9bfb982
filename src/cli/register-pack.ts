import { WardenError } from "../errors.js";

const CONFIG_FILE = "warden.config.ts";
/** The one `packs: [ ... ]` array of `defineConfig({ ... })`; its entries are plain identifiers. */
const PACKS_ARRAY = /(\bpacks\s*:\s*\[)([^\][]*)(\])/g;
const IDENTIFIER_LIST = /^\s*(?:[A-Za-z_$][\w$]*\s*,\s*)*(?:[A-Za-z_$][\w$]*\s*,?\s*)?$/;
const IMPORT_LINE = /^import\s[^;]*;[ \t]*$/gm;

function unexpected(problem: string): never {
  throw new WardenError(
    "CONFIG_INVALID",
    `${CONFIG_FILE} does not have the shape \`new pack\` edits (${problem}): add the pack yourself, an import of its index.ts and its value in \`defineConfig({ packs: [...] })\`.`,
  );
}

/**
 * `warden.config.ts` with one more pack: an import line after the last import, and the pack's value at the end
 * of the `packs` array. Only the shape the repository ships is edited (one `packs: [...]` of plain identifiers,
 * static imports at the top); anything else is refused rather than guessed at, and nothing is written.
 *
 * @param importPath relative to the file, e.g. `./src/packs/inventory/index.js`
 * @throws WardenError CONFIG_INVALID for another shape, PACK_EXISTS when the file already names the pack
 */
export function registerPack(source: string, pack: { value: string; importPath: string }): string {
  if (source.includes(pack.importPath) || new RegExp(`\\b${pack.value}\\b`).test(source)) {
    throw new WardenError("PACK_EXISTS", `${CONFIG_FILE} already names ${pack.value} (${pack.importPath}).`, { details: { file: CONFIG_FILE } });
  }
  const arrays = [...source.matchAll(PACKS_ARRAY)];
  if (arrays.length !== 1) unexpected(arrays.length === 0 ? "no `packs: [...]` array" : "more than one `packs: [...]` array");
  const [whole, open, entries, close] = arrays[0]! as unknown as [string, string, string, string];
  if (!IDENTIFIER_LIST.test(entries)) unexpected("the packs array holds more than pack names");
  const imports = [...source.matchAll(IMPORT_LINE)];
  if (imports.length === 0) unexpected("no import lines");
  const lastImport = imports.at(-1)!;
  const importEnd = lastImport.index! + lastImport[0].length;
  if (arrays[0]!.index! < importEnd) unexpected("an import after the packs array");

  const trimmed = entries.replace(/\s+$/, "");
  const trailing = entries.slice(trimmed.length);
  const listed = trimmed.trim() === "" ? pack.value : trimmed.endsWith(",") ? `${trimmed} ${pack.value},` : `${trimmed}, ${pack.value}`;
  // A multi-line array keeps its layout: the new entry goes on a line of its own, indented like the others.
  const multiline = /\n/.test(entries) && trimmed.trim() !== "";
  const indent = /\n([ \t]*)\S/.exec(entries)?.[1] ?? "  ";
  const newEntries = multiline ? `${trimmed}${trimmed.endsWith(",") ? "" : ","}\n${indent}${pack.value},${trailing}` : `${listed}${trailing}`;
  const arrayStart = arrays[0]!.index!;
  const withPack = source.slice(0, arrayStart) + open + newEntries + close + source.slice(arrayStart + whole.length);

  return `${withPack.slice(0, importEnd)}\nimport { ${pack.value} } from "${pack.importPath}";${withPack.slice(importEnd)}`;
}
