import { describe, expect, it } from 'vitest';
import type { RawEvent } from '../../store/types.js';
import { overlay } from './attachConversations.js';
import { conversationSidOf } from './conversationIndex.js';
import { tasksToComplete } from './tasksToComplete.js';

const sid = (p: string, n: number): string => p + n.toString(16).padStart(32, '0');
const ev = (type: string, data: Record<string, unknown> = {}): RawEvent => ({ key: 'k', type, occurredMs: 1, taskSid: sid('WT', 1), via: 'webhook', data });

describe('tasksToComplete', () => {
  it('asks for the full history of a finished task, and of the interaction a finished survey rates', () => {
    expect(tasksToComplete(ev('task.created'))).toEqual([]);
    expect(tasksToComplete(ev('task.completed'))).toEqual([sid('WT', 1)]);
    expect(tasksToComplete(ev('task.canceled'))).toEqual([sid('WT', 1)]);
    const survey = JSON.stringify({ conversations: { kind: 'survey', conversation_id: sid('WT', 9) } });
    expect(tasksToComplete(ev('task.completed', { task_attributes: survey }))).toEqual([sid('WT', 1), sid('WT', 9)]);
    // synthetic events (plugin fallback, survey posts) are not in TaskRouter; the interaction a survey post rates is
    expect(tasksToComplete(ev('task.completed', { source: 'survey', task_attributes: survey }))).toEqual([sid('WT', 9)]);
    expect(tasksToComplete(ev('task.completed', { source: 'survey', task_attributes: '{"conversations":{"kind":"Survey"}}' }))).toEqual([]);
    expect(tasksToComplete(ev('task.completed', { source: 'flex-plugin', task_attributes: survey }))).toEqual([]);
    expect(tasksToComplete(ev('task.completed', { task_attributes: '{not json survey' }))).toEqual([sid('WT', 1)]);
  });
});

describe('overlay', () => {
  const read = { sid: sid('CH', 1), state: 'closed', createdMs: 0, updatedMs: 5000, closedMs: 5000, bindingType: null, optOut: false };
  it('keeps the webhook close time when it is the same second, adds opt-out and binding', () => {
    expect(overlay(read, [{ conversationSid: read.sid, occurredMs: 5400, closedMs: 5400, state: 'closed' }, { conversationSid: read.sid, occurredMs: 1, optOut: true, bindingType: 'sms' }])).toEqual({
      ...read, closedMs: 5400, optOut: true, bindingType: 'sms',
    });
    expect(overlay(read, [{ conversationSid: read.sid, occurredMs: 9000, closedMs: 9000 }]).closedMs).toBe(5000);
  });
  it('a close the read does not show is taken from the webhook (closed is final)', () => {
    const open = { ...read, state: 'active', closedMs: null };
    expect(overlay(open, [{ conversationSid: read.sid, occurredMs: 9000, closedMs: 9000, state: 'closed' }])).toEqual({ ...open, state: 'closed', closedMs: 9000 });
    expect(overlay(open, [{ conversationSid: read.sid, occurredMs: 9000, optOut: true }])).toEqual({ ...open, optOut: true });
  });
});

describe('conversationSidOf', () => {
  it('reads attributes given as a string or an object', () => {
    expect(conversationSidOf(JSON.stringify({ conversationSid: sid('CH', 2) }))).toBe(sid('CH', 2));
    expect(conversationSidOf({ conversationSid: sid('CH', 3) })).toBe(sid('CH', 3));
    expect(conversationSidOf('{"conversationSid": 5}')).toBeUndefined();
    expect(conversationSidOf('nope conversationSid')).toBeUndefined();
    expect(conversationSidOf(null)).toBeUndefined();
  });
});
