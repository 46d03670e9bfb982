import { fileURLToPath } from "node:url";
import { buildAgentGraph, defineAgent, definePack, defineWorkflow } from "warden";
import { choose{{pascal}}Route } from "./router.js";
import { {{camel}}Tools } from "./tools/index.js";
import { build{{pascal}}Workflow } from "./workflow/update-workflow.js";

/**
 * The {{name}} pack: records with a status, read by `{{name}}_lookup` and changed by `{{name}}_update` (with an
 * approval). Its data files are at the repository root beside the other packs' (packs share one data folder for
 * now): releases/{{name}}@1.json, prompts/{{name}}@1.md, policies/{{name}}@1.json, evals/datasets/{{name}}@1.jsonl.
 */
export const {{camel}}Pack = definePack({
  name: "{{name}}",
  description: "Records of the {{title}} pack: look one up, or change its status with an approval.",
  root: fileURLToPath(new URL("../../../", import.meta.url)),
  tools: {{camel}}Tools,
  workflows: [
    defineWorkflow({
      node: "{{name}}_workflow",
      id: "{{name}}_workflow@1",
      description: "look up → ask policy → [approval] → apply update → compose answer",
      build: build{{pascal}}Workflow,
    }),
  ],
  agents: [defineAgent({ node: "{{name}}_agent", description: "Open-ended questions about {{title}} records, with the release's tools.", build: buildAgentGraph })],
  router: choose{{pascal}}Route,
  releases: ["{{name}}@1"],
});
