import { describe, expect, it } from 'vitest';
import { toInboxItem } from './handleEvent.js';

const WT = `WT${'0123456789abcdef'.repeat(2)}`;

describe('toInboxItem', () => {
  it('maps the product-doc task.completed to the Flex plugin route item (same dedupe key)', () => {
    const item = toInboxItem({ type: 'task.completed', payload: { taskSid: WT, customerEmail: 'a@b.co', channel: 'whatsapp', duration: 42, queueName: 'Support' } }, 1000);
    expect(item).toEqual({
      key: `flex:task-complete:${WT}`,
      source: 'flex-plugin',
      payload: { TaskSid: WT, TaskAttributes: { email: 'a@b.co', channelType: 'whatsapp' }, TaskChannelUniqueName: 'chat', Age: 42, TaskQueueFriendlyName: 'Support', ReceivedMs: 1000 },
    });
    expect(toInboxItem({ type: 'task.completed', payload: { taskSid: WT, channel: 'voice' } }).payload).toMatchObject({ TaskChannelUniqueName: 'voice', TaskAttributes: {} });
  });

  it('maps survey.completed to the survey route item', () => {
    const item = toInboxItem({ type: 'survey.completed', payload: { taskSid: WT, score: 4, scale: 5 } }, 1);
    expect(item).toMatchObject({ key: `survey:linked:${WT}`, source: 'survey', payload: { LinkedTaskSid: WT, Score: 4, Scale: 5 } });
  });

  it('refuses malformed input with TAJO_RECORD_INVALID', () => {
    expect(() => toInboxItem({ type: 'task.completed', payload: { taskSid: 'nope' } })).toThrow(expect.objectContaining({ code: 'TAJO_RECORD_INVALID' }));
    expect(() => toInboxItem({ type: 'task.created' as 'task.completed', payload: { taskSid: WT } })).toThrow(/not supported/);
    expect(() => toInboxItem({ type: 'task.completed' } as never)).toThrow(/payload is required/);
  });
});
