// The composition root: the packs Warden runs, its store and its model. `serve`, `demo`, `eval`, the CLI and
// LangGraph Studio all build from this file. Store and model default to the environment (.env.example).
import { supportPack } from "./src/packs/support/index.js";
import { defineConfig } from "./src/runtime/warden-config.js";

export default defineConfig({
  packs: [supportPack],
});
