import type { InteractionRow } from '../../store/types.js';
import type { Interaction } from './interaction.js';

export function toInteractionRow(i: Interaction, updatedAt: string): InteractionRow {
  return {
    taskSid: i.taskSid,
    customerKey: i.customer.extId,
    channel: i.channel,
    queueSid: i.queueSid,
    queueName: i.queueName,
    workerSid: i.workerSid,
    workerName: i.workerName,
    createdMs: i.createdMs,
    answeredMs: i.answeredMs,
    wrapupMs: i.wrapupMs,
    endedMs: i.endedMs,
    outcome: i.outcome,
    conversationSid: i.conversationSid,
    conversationClosedMs: i.conversationClosedMs,
    waitSeconds: i.waitSeconds,
    handleSeconds: i.handleSeconds,
    cancelReason: i.cancelReason ?? null,
    attributes: i.attributes,
    updatedAt,
  };
}
