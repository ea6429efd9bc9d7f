export { runSync, STREAMS, type StreamGate } from './runSync.js';
export type { ContactSample, StreamName, StreamProgress, StreamReport, SyncDeps, SyncOptions, SyncReport, TwilioSecrets } from './types.js';
export { STREAM_NAMES } from './types.js';
export { DryRunStore, type StoreAccess, type StoreReader } from './storeAccess.js';
export { planTasks, type TaskPlan, type TaskPlanDeps } from './taskPlan.js';
export { planCustomers, type CustomerPlanDeps, type PlannedBatch } from './customerPlan.js';
export { ConversationSource } from './conversationSource.js';
export { syncRange, windowSizer } from './windows.js';
