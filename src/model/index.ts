/** Warden's chat models: the factory, the offline and scripted models, and trace naming helpers. */
export type { BoundToolInfo, LocalChatModelCallOptions } from "./bound-tools.js";
export { createChatModel, type ChatModelSpec, type ToolCallingChatModel } from "./create-chat-model.js";
export { modelRequestName, modelSystemName, type ModelSystemName } from "./model-identity.js";
export { OFFLINE_MODEL_NAME, OfflineChatModel, type OfflineChatModelOptions, type ToolDeclaration } from "./offline-chat-model.js";
export type { OfflineAnswerParts, OfflineHeuristics, OfflineTools, PlannedCall } from "./offline-heuristics.js";
export type { ToolOutcome, Turn, TurnCall } from "./offline-turn.js";
export { escalationSentence, joinList, latestBy, reasonSuffix } from "./offline-wording.js";
export {
  aiText,
  aiToolCall,
  aiToolCalls,
  ScriptedChatModel,
  type ScriptedCall,
  type ScriptedResponse,
} from "./scripted-chat-model.js";
