import { buildAgentGraph } from "../../graph/agent-graph.js";
import { defineAgent, definePack, defineWorkflow } from "../../kernel/pack.js";
import { PROJECT_ROOT } from "../../kernel/release.js";
import { chooseRoute } from "./router/choose-route.js";
import { denialDraft } from "./tools/denial-draft.js";
import { supportTools } from "./tools/index.js";
import { issueRefund } from "./tools/issue-refund.js";
import { buildRefundWorkflow } from "./workflow/refund-workflow.js";

/** Neutral text for a denied refund whose rule gives no `customer_reason`. */
const REFUND_DENIED = "The request does not meet the conditions of our refund policy.";

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
  denials: {
    notice: (call) => (call.name === issueRefund.name ? REFUND_DENIED : undefined),
    draft: denialDraft,
  },
});
