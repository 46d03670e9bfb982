import { fileURLToPath } from "node:url";
import { buildAgentGraph, defineAgent, definePack, defineWorkflow } from "warden";
import { chooseInventoryRoute } from "./router.js";
import { checkStock } from "./tools/check-stock.js";
import { rememberStore } from "./tools/remember-store.js";
import { reserveStock } from "./tools/reserve-stock.js";
import { buildStockReport } from "./workflow/stock-report.js";

/** The inventory pack of docs/extending.md. Its data files (releases/, prompts/, policies/) are in this folder. */
export const inventoryPack = definePack({
  name: "inventory",
  description: "Stock questions, stock reports and reservations with an approval.",
  root: fileURLToPath(new URL("./", import.meta.url)),
  // releases/<id>.json under root; the first is what a tenant runs until another is activated.
  releases: ["inventory@1"],
  tools: [checkStock, reserveStock, rememberStore],
  workflows: [defineWorkflow({ node: "stock_report", id: "stock_report@1", description: "look up → compose report", build: buildStockReport })],
  agents: [defineAgent({ node: "inventory_agent", description: "Open-ended stock questions and reservations.", build: buildAgentGraph })],
  router: chooseInventoryRoute,
});
