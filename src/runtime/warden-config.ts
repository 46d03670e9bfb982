import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { WardenError } from "../errors.js";
import { composePacks, type Composition } from "../kernel/composition.js";
import type { Pack } from "../kernel/pack.js";
import { PROJECT_ROOT } from "../kernel/release.js";
import type { StoreOptions } from "../store/open-store.js";

/**
 * The composition root's shape (`warden.config.ts`): which packs run, on which store, with which model. Every
 * entry point (serve, demo, eval, the CLI, LangGraph Studio) builds its runtime from it; what it leaves out comes
 * from the environment (DATABASE_URL / WARDEN_DATA_DIR for the store, each release's model otherwise).
 */
export interface WardenConfigSpec {
  packs: Pack[];
  /** The store; default: DATABASE_URL, else embedded PGlite at WARDEN_DATA_DIR. */
  store?: StoreOptions;
  /** What a tenant runs before any activation (WARDEN_RELEASE overrides it); default: the first pack's first release. */
  release?: string;
  /** One model for every release (e.g. a local OpenAI-compatible server's); default: each release's `model`. */
  model?: BaseChatModel;
}

export interface WardenConfig extends Readonly<WardenConfigSpec> {
  readonly composition: Composition;
}

/**
 * Declares the composition root. Checks the packs together (no tool or route declared twice).
 *
 * @example
 * // warden.config.ts
 * export default defineConfig({ packs: [shopPack, inventoryPack] });
 */
export function defineConfig(spec: WardenConfigSpec): WardenConfig {
  return Object.freeze({ ...spec, packs: [...spec.packs], composition: composePacks(spec.packs) });
}

const CONFIG_FILE = "warden.config.ts";
const loaded = new Map<string, Promise<WardenConfig>>();

/**
 * Imports `warden.config.ts` from `root` (default: the project root) once per process. The core never imports a
 * pack itself: this file is the one place that names them.
 * @throws WardenError CONFIG_INVALID when the file is missing or does not export a `defineConfig` result.
 */
export function loadWardenConfig(root: string = PROJECT_ROOT): Promise<WardenConfig> {
  const file = join(root, CONFIG_FILE);
  let loading = loaded.get(file);
  if (!loading) {
    loading = (async () => {
      if (!existsSync(file)) throw new WardenError("CONFIG_INVALID", `${file} does not exist: it declares the packs Warden runs.`);
      const module = (await import(pathToFileURL(file).href)) as { default?: Partial<WardenConfig> };
      const config = module.default;
      if (!config?.composition || !Array.isArray(config.packs)) {
        throw new WardenError("CONFIG_INVALID", `${file} must \`export default defineConfig({ packs: [...] })\`.`);
      }
      return config as WardenConfig;
    })();
    loaded.set(file, loading);
    loading.catch(() => loaded.delete(file));
  }
  return loading;
}
