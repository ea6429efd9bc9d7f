/** Event types the emulator can emit on Event Streams (`GET /v1/Types`), per docs/twilio.md §4.1 and §5. */
const TASKROUTER_TYPES = [
  'task.created', 'task.updated', 'task.canceled', 'task.completed', 'task.deleted', 'task.system-deleted', 'task.wrapup',
  'task.transfer-initiated', 'task.transfer-completed', 'task.transfer-failed', 'task.transfer-canceled', 'task.transfer-attempt-failed',
  'reservation.created', 'reservation.accepted', 'reservation.rejected', 'reservation.timeout', 'reservation.canceled',
  'reservation.rescinded', 'reservation.wrapup', 'reservation.completed', 'reservation.failed',
  'worker.created', 'worker.deleted', 'worker.activity.update', 'worker.attributes.update', 'worker.capacity.update',
  'worker.channel.availability.update',
  'task-queue.created', 'task-queue.deleted', 'task-queue.entered', 'task-queue.moved', 'task-queue.timeout', 'task-queue.expression.updated',
  'workflow.entered', 'workflow.timeout', 'workflow.target-matched', 'workflow.skipped', 'workflow.rejected',
];

const CONVERSATION_TYPES: [string, string][] = [
  ['conversation.added', 'Conversations.ConversationAdded'],
  ['conversation.updated', 'Conversations.ConversationUpdated'],
  ['conversation.removed', 'Conversations.ConversationRemoved'],
  ['conversation-state.updated', 'Conversations.ConversationStateUpdated'],
  ['message.added', 'Conversations.MessageAdded'],
  ['message.updated', 'Conversations.MessageUpdated'],
  ['message.removed', 'Conversations.MessageRemoved'],
  ['participant.added', 'Conversations.ParticipantAdded'],
  ['participant.updated', 'Conversations.ParticipantUpdated'],
  ['participant.removed', 'Conversations.ParticipantRemoved'],
];

export interface EventTypeInfo {
  type: string;
  schemaId: string;
  description: string;
}

export const EVENT_TYPES: EventTypeInfo[] = [
  ...TASKROUTER_TYPES.map((t) => ({ type: `com.twilio.taskrouter.${t}`, schemaId: 'TaskRouter.WDSEvent', description: `TaskRouter ${t}` })),
  ...CONVERSATION_TYPES.map(([t, s]) => ({ type: `com.twilio.conversations.${t}`, schemaId: s, description: `Conversations ${t}` })),
];
