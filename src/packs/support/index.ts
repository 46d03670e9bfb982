import { fileURLToPath } from "node:url";
import { buildAgentGraph } from "../../graph/agent-graph.js";
import { defineAgent, definePack, defineWorkflow } from "../../kernel/pack.js";
import { PROJECT_ROOT } from "../../kernel/release.js";
import { addOrder } from "./fixtures.js";
import { supportDemo } from "./demo.js";
import { supportOffline } from "./offline/index.js";
import { chooseRoute } from "./router/choose-route.js";
import { seedSupport } from "./seed.js";
import { denialDraft } from "./tools/denial-draft.js";
import { supportTools } from "./tools/index.js";
import { issueRefund } from "./tools/issue-refund.js";
import { buildRefundWorkflow } from "./workflow/refund-workflow.js";
import { REFUND_NOTICES, SUPPORT_NOTICES } from "./workflow/notices.js";

/**
 * The reference domain: customer support with refunds. Its data files stay at the repository root, readable
 * without the code: `releases/support@*.json`, `prompts/support@*.md`, `policies/refunds@*.json`,
 * `evals/datasets/support@*.jsonl`, `seeds/`.
 */
export const supportPack = definePack({
  name: "support",
  description: "Customer support refunds: order lookup, refunds under policy with approval, outbound messages.",
  root: PROJECT_ROOT,
  tools: supportTools,
  workflows: [
    defineWorkflow({
      node: "refund_workflow",
      id: "refund_workflow@1",
      description: "validate → lookup order → check eligibility (policy) → draft → [approval] → issue refund → compose answer",
      build: buildRefundWorkflow,
    }),
  ],
  agents: [defineAgent({ node: "support_agent", description: "Open-ended support questions, with the release's tools.", build: buildAgentGraph })],
  // Claims only what it routes deterministically: open-ended requests are left to the composition (another pack's
  // rule may claim them), which falls back to the first agent (support_agent here) with the same reason.
  router: (goal, context) => {
    const choice = chooseRoute(goal, context);
    return choice.route === "support_agent" ? undefined : choice;
  },
  releases: ["support@1", "support@2"],
  fixtures: { add_order: addOrder },
  // Its tables (orders, refunds, outbox): created after the core's, recorded under `support`.
  migrations: fileURLToPath(new URL("./migrations/", import.meta.url)),
  seed: seedSupport,
  demo: supportDemo,
  notices: SUPPORT_NOTICES,
  offline: supportOffline,
  denials: {
    // Neutral text for a denied refund whose rule gives no `customer_reason`.
    notice: (call) => (call.name === issueRefund.name ? REFUND_NOTICES.refundDenied : undefined),
    draft: denialDraft,
  },
});
