/**
 * `connectors.handleEvent`: the product doc's real-time call. It becomes the same inbox item the webhook
 * routes store (same validators, same dedupe keys), so an SDK call and the Flex plugin's post of the same
 * completion are one event, and the engine's inbox processor takes it from there.
 */
import { TajoError } from '../../core/errors.js';
import type { InboxInput } from '../../store/types.js';
import { flexTaskCompleteKey, validateFlexTaskComplete } from '../../server/routes/flexTaskComplete.validate.js';
import { surveyKey, validateSurvey } from '../../server/routes/survey.validate.js';
import type { HandleEventInput } from '../types.js';

function taskChannelOf(channel: string | undefined): string | undefined {
  if (!channel) return undefined;
  const c = channel.toLowerCase();
  if (c === 'voice') return 'voice';
  if (c === 'sms') return 'sms';
  return 'chat';
}

function invalid(message: string): TajoError {
  return new TajoError('TAJO_RECORD_INVALID', `Invalid event: ${message}`, { hint: "expected {type: 'task.completed', payload: {taskSid: 'WT…', customerEmail?, channel?, duration?, queueName?}}" });
}

/** Maps an SDK event to the inbox item of the matching webhook route. */
export function toInboxItem(input: HandleEventInput, nowMs = Date.now()): InboxInput {
  const p = input?.payload;
  if (!p || typeof p !== 'object') throw invalid('payload is required');
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const attributes: Record<string, unknown> = { ...(p.attributes && typeof p.attributes === 'object' ? p.attributes : {}) };
  const email = str(p.customerEmail);
  const phone = str(p.customerPhone);
  const channel = str(p.channel);
  if (email) attributes.email = email;
  if (phone) attributes.phone = phone;
  if (channel && channel.toLowerCase() !== 'voice' && attributes.channelType === undefined) attributes.channelType = channel.toLowerCase();

  switch (input.type) {
    case 'task.completed': {
      const body = {
        TaskSid: p.taskSid,
        TaskAttributes: attributes,
        ...(taskChannelOf(channel) ? { TaskChannelUniqueName: taskChannelOf(channel) } : {}),
        ...(typeof p.duration === 'number' ? { Age: p.duration } : {}),
        ...(str(p.queueName) ? { TaskQueueFriendlyName: p.queueName } : {}),
        ...(str(p.workerName) ? { WorkerName: p.workerName } : {}),
        ...(p.completedAt !== undefined ? { CompletedAt: p.completedAt } : {}),
      };
      const v = validateFlexTaskComplete(body);
      if (!v.ok) throw invalid(v.message);
      return { key: input.id ?? flexTaskCompleteKey(v.value), source: 'flex-plugin', payload: { ...v.value, ReceivedMs: nowMs } };
    }
    case 'survey.completed': {
      const body = {
        LinkedTaskSid: p.taskSid,
        ...(str(p.surveyTaskSid) ? { TaskSid: p.surveyTaskSid } : {}),
        ...(typeof p.score === 'number' ? { Score: p.score } : {}),
        ...(typeof p.scale === 'number' ? { Scale: p.scale } : {}),
        ...(Array.isArray(p.questions) ? { Questions: p.questions } : {}),
        ...(p.completedAt !== undefined ? { CompletedAt: p.completedAt } : {}),
        ...(email ? { Email: email } : {}),
        ...(phone ? { Phone: phone } : {}),
      };
      const v = validateSurvey(body);
      if (!v.ok) throw invalid(v.message);
      return { key: input.id ?? surveyKey(v.value), source: 'survey', payload: { ...v.value, ReceivedMs: nowMs } };
    }
    default:
      throw invalid(`type "${String((input as { type?: unknown }).type)}" is not supported (use task.completed or survey.completed; other events come from TaskRouter)`);
  }
}
