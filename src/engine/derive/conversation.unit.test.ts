import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { latestSnapshot, rawEventFromSnapshot, snapshotConversation, type ConversationSnapshot } from './conversation.js';

const conv = (over: Record<string, unknown> = {}) => ({ sid: 'CH1', state: 'active', date_created: '2026-06-01T10:00:00Z', date_updated: '2026-06-01T10:05:00Z', timers: {}, ...over });
const customer = { sid: 'MB1', identity: null, messaging_binding: { type: 'sms', address: '+14155550100' } };
const agent = { sid: 'MB2', identity: 'alice', messaging_binding: null };

describe('snapshotConversation', () => {
  it('reads the close time from timers, else date_updated when closed', () => {
    expect(snapshotConversation(conv({ state: 'closed', timers: { date_closed: '2026-06-01T10:04:00Z' } }), [], []).closedMs).toBe(Date.parse('2026-06-01T10:04:00Z'));
    expect(snapshotConversation(conv({ state: 'closed' }), [], []).closedMs).toBe(Date.parse('2026-06-01T10:05:00Z'));
    expect(snapshotConversation(conv(), [], []).closedMs).toBeNull();
  });

  it('takes the binding type of the customer participant', () => {
    expect(snapshotConversation(conv(), [agent, customer], []).bindingType).toBe('sms');
    expect(snapshotConversation(conv(), [agent], []).bindingType).toBeNull();
  });

  it('opts out on a STOP from the customer only (by participant, or by author = the task from)', () => {
    const stop = (author: string, participant_sid: string | null, body = ' stop ') => ({ sid: `IM${author}`, author, body, participant_sid });
    expect(snapshotConversation(conv(), [customer, agent], [stop('+14155550100', 'MB1')]).optOut).toBe(true);
    expect(snapshotConversation(conv(), [customer, agent], [stop('alice', 'MB2')]).optOut).toBe(false);
    expect(snapshotConversation(conv(), [customer], [stop('+14155550100', 'MB1', 'STOP IT')]).optOut).toBe(false);
    // Participants not read: the author is matched against the task's `from` (formats normalised)
    expect(snapshotConversation(conv(), [], [stop('whatsapp:+14155550100', null)], { customerAddress: 'whatsapp:+14155550100' }).optOut).toBe(true);
    expect(snapshotConversation(conv(), [], [stop('+14155550100', null)], { customerAddress: '+1 (415) 555-0100' }).optOut).toBe(true);
    expect(snapshotConversation(conv(), [], [stop('alice', null)], { customerAddress: '+14155550100' }).optOut).toBe(false);
  });
});

describe('latestSnapshot', () => {
  const T = 'WT1';
  const snap = (p: Partial<ConversationSnapshot>): ConversationSnapshot => ({ sid: 'CH1', state: 'active', createdMs: 1, updatedMs: 2, closedMs: null, bindingType: null, optOut: false, ...p });

  it('prefers closed, keeps an opt-out and a binding seen earlier, whatever the order', () => {
    const events = [
      rawEventFromSnapshot(T, snap({ updatedMs: 5, bindingType: 'whatsapp' })),
      rawEventFromSnapshot(T, snap({ updatedMs: 7, optOut: true })),
      rawEventFromSnapshot(T, snap({ state: 'closed', updatedMs: 9, closedMs: 9 })),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(events, { minLength: 3, maxLength: 3 }), (perm) => {
        expect(latestSnapshot(perm)).toEqual(snap({ state: 'closed', updatedMs: 9, closedMs: 9, optOut: true, bindingType: 'whatsapp' }));
      }),
    );
  });
});
