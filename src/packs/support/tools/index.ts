import { createToolRegistry, type ToolRegistry } from "../../../tools/registry.js";
import type { ToolDefinition } from "../../../tools/types.js";
import { draftResponse } from "./draft-response.js";
import { issueRefund } from "./issue-refund.js";
import { lookupOrder } from "./lookup-order.js";
import { readPolicy } from "./read-policy.js";
import { remember } from "./remember.js";
import { sendMessage } from "./send-message.js";

export { draftResponse, issueRefund, lookupOrder, readPolicy, remember, sendMessage };

/** Every customer-support tool; a release enables a subset (`registry.subset(release.tools)`). */
export const supportTools: readonly ToolDefinition[] = Object.freeze([readPolicy, lookupOrder, draftResponse, issueRefund, sendMessage, remember]);

/** A registry of all support tools. */
export function createSupportRegistry(): ToolRegistry {
  return createToolRegistry(supportTools);
}
