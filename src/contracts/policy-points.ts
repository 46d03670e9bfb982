/** The points at which policy decides, spelled once (policy documents, the engine, trace events, tools). */
export const POLICY_POINTS = ["retrieval", "memory_write", "tool_call", "outbound_message", "final_answer"] as const;
export type PolicyPoint = (typeof POLICY_POINTS)[number];

/** Points a tool may ask to be checked at besides `tool_call` (`defineTool({ policyPoints })`). */
export const TOOL_EXTRA_POLICY_POINTS = ["retrieval", "outbound_message", "memory_write"] as const satisfies readonly PolicyPoint[];
export type ToolExtraPolicyPoint = (typeof TOOL_EXTRA_POLICY_POINTS)[number];
