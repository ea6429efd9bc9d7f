/** The real-time path: webhook deliveries (inbox items) → raw events → derived rows and live outbox writes. */
export { InboxProcessor, type InboxProcessorOptions, type RunResult, type TaskPlanner } from './inboxProcessor.js';
export { tasksToComplete } from './tasksToComplete.js';
export { createInboxProcessor, type LiveIngestDeps } from './live.js';
export { livePlanner, type LivePlannerDeps } from './livePlanner.js';
export { twilioTaskRouterLookup, type TaskRouterLookup } from './taskRouterLookup.js';
export { normalizeInboxItem, type Normalized } from './normalize.js';
export type { ConversationReader } from './attachConversations.js';
export type { ConversationObservation } from './conversationEvents.js';
export type { PluginCompletion } from './pluginEvents.js';
