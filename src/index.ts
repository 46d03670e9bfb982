/**
 * Warden's public API: what a team building on Warden imports (`import { createRuntime, definePack } from "warden"`).
 * Everything else under src/ is internal and may move; this file is the contract. The composition root
 * (`warden.config.ts`) declares the packs; `createRuntime()` builds from it unless given packs of its own.
 */

// Running it.
export { createRuntime, type Runtime, type RuntimeOptions, type StartOptions, type RunOptions, type ApprovalDecisionInput } from "./runtime/create-runtime.js";
export { defineConfig, loadWardenConfig, type WardenConfig, type WardenConfigSpec } from "./runtime/warden-config.js";
export type { RunEnvelope } from "./runtime/envelope.js";
export type { RunRecord } from "./runs/run-record.js";

// Declaring a domain.
export {
  defineAgent,
  definePack,
  defineWorkflow,
  type AgentDefinition,
  type DenialTexts,
  type GraphBuilder,
  type Pack,
  type PackSpec,
  type RouteChoice,
  type Router,
  type WorkflowDefinition,
} from "./kernel/pack.js";
export { composePacks, type Composition } from "./kernel/composition.js";
export type { DemoScenario, PackDemo } from "./kernel/pack-demo.js";
export { defineFixture, type FixtureDefinition } from "./kernel/fixture.js";
export type { CustomerNotices } from "./kernel/notice-texts.js";
export type { Release } from "./kernel/release.js";
export { defineTool } from "./tools/define-tool.js";
export { ToolError, isToolError, type ToolErrorOptions } from "./tools/tool-error.js";
export type { SideEffect, ToolContext, ToolDefinition, ToolSpec, RetryOptions } from "./tools/types.js";

// Building a workflow or an agent of a pack: the shared state, deps and the generic steps.
export { buildAgentGraph } from "./graph/agent-graph.js";
export { continueOrEscalate } from "./graph/routing.js";
export { RuntimeState, WorkflowInput, WorkflowOutput, AgentInput, AgentOutput, type State, type Update } from "./kernel/state.js";
export type { DepsProvider, GraphDeps } from "./kernel/deps.js";
export { nodeKit, workflowCallId, type NodeKit } from "./kernel/node-kit.js";
export { defineWorkflowState } from "./kernel/workflow-state.js";
export { callWorkflowTool } from "./nodes/call-workflow-tool.js";
export { gateToolCall, type GateResult } from "./nodes/gate-tool-call.js";
export { createApprovalNode } from "./nodes/approval.js";
export { createEscalateNode, escalateWith } from "./nodes/escalate.js";

// Policy (rules as data in policies/*.json) and the trace.
export type { Decision, PolicyEffect, PolicyPoint } from "./policy/types.js";
export type { TraceEvent, TraceKind } from "./trace/types.js";

// Models: the factory, the offline model and what a pack's offline heuristics are written with, the scripted model for tests.
export { createChatModel, type ChatModelSpec } from "./model/create-chat-model.js";
export { OfflineChatModel, type OfflineChatModelOptions, type ToolDeclaration } from "./model/offline-chat-model.js";
export type { OfflineAnswerParts, OfflineHeuristics, OfflineTools, PlannedCall } from "./model/offline-heuristics.js";
export type { BoundToolInfo } from "./model/bound-tools.js";
export type { ToolOutcome, Turn, TurnCall } from "./model/offline-turn.js";
export { escalationSentence, joinList, latestBy, reasonSuffix } from "./model/offline-wording.js";
export { aiText, aiToolCall, aiToolCalls, ScriptedChatModel, type ScriptedCall, type ScriptedResponse } from "./model/scripted-chat-model.js";

// Errors: every failure a caller sees has a stable code (docs/errors.md).
export { ERROR_CODES, WardenError, isWardenError, type ErrorCode } from "./errors.js";
