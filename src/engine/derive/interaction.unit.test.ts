import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rawEventFromSnapshot, type ConversationSnapshot } from './conversation.js';
import { deriveTask, halfDerived, type Interaction } from './interaction.js';
import { Q1, Q2, W1, W2, at, ev, sidOf } from './test-helpers/events.js';

const voiceAttrs = { from: '+14155550100', name: 'Ann', email: 'Ann@Example.COM ', customer_tier: 'gold' };

function interaction(d: ReturnType<typeof deriveTask>): Interaction {
  if (d.kind !== 'interaction') throw new Error(`expected an interaction, got ${d.kind}`);
  return d.interaction;
}

describe('deriveTask', () => {
  const T = sidOf('WT', 1);
  const completedVoice = [
    ev(T, 'task.created', { at: 0, attrs: voiceAttrs, channel: 'voice', queue: Q1 }),
    ev(T, 'reservation.created', { at: 5, worker: W1, queue: Q1 }),
    ev(T, 'reservation.accepted', { at: 12.5, worker: W1, queue: Q1 }),
    ev(T, 'task.wrapup', { at: 100 }),
    ev(T, 'task.completed', { at: 130 }),
  ];

  it('derives a completed voice call', () => {
    const i = interaction(deriveTask(T, completedVoice));
    expect(i).toMatchObject({
      channel: 'voice', outcome: 'completed', queueSid: Q1[0], queueName: 'Support', workerSid: W1[0], workerName: 'Alice',
      createdMs: at(0), answeredMs: at(12.5), wrapupMs: at(100), endedMs: at(130), waitSeconds: 12.5, handleSeconds: 117.5, wrapupSeconds: 30,
      conversationSid: null,
    });
    expect(i.customer).toEqual({ extId: '+14155550100', phone: '+14155550100', email: 'ann@example.com' });
  });

  it('takes the last accepted worker after a rejection, a timeout and a transfer', () => {
    const evs = [
      ev(T, 'task.created', { at: 0, attrs: voiceAttrs, channel: 'voice', queue: Q1 }),
      ev(T, 'reservation.rejected', { at: 3, worker: W2 }),
      ev(T, 'reservation.timeout', { at: 20, worker: W2 }),
      ev(T, 'reservation.accepted', { at: 30, worker: W1, queue: Q1 }),
      ev(T, 'task.transfer-initiated', { at: 60 }),
      ev(T, 'task-queue.entered', { at: 61, queue: Q2 }),
      ev(T, 'reservation.accepted', { at: 90, worker: W2, queue: Q2 }),
      ev(T, 'task.completed', { at: 200 }),
    ];
    const i = interaction(deriveTask(T, evs));
    expect(i.workerSid).toBe(W2[0]);
    expect(i.workerName).toBe('Bob');
    expect(i.queueName).toBe('Billing');
    expect(i.answeredMs).toBe(at(30));
    expect(i.waitSeconds).toBe(30);
    expect(i.handleSeconds).toBe(170);
  });

  it('marks a task canceled while queued as abandoned', () => {
    const evs = [ev(T, 'task.created', { at: 0, attrs: voiceAttrs, channel: 'voice', queue: Q1 }), ev(T, 'reservation.rejected', { at: 4, worker: W1 }), ev(T, 'task.canceled', { at: 45 })];
    const i = interaction(deriveTask(T, evs));
    expect(i).toMatchObject({ outcome: 'abandoned', answeredMs: null, waitSeconds: null, handleSeconds: null, endedMs: at(45), workerSid: null });
  });

  it('marks a canceled task that had been accepted as canceled', () => {
    const evs = [ev(T, 'task.created', { at: 0, attrs: voiceAttrs, channel: 'voice' }), ev(T, 'reservation.accepted', { at: 4, worker: W1 }), ev(T, 'task.canceled', { at: 45 })];
    expect(interaction(deriveTask(T, evs)).outcome).toBe('canceled');
  });

  it('keeps an unfinished task open', () => {
    const i = interaction(deriveTask(T, completedVoice.slice(0, 3)));
    expect(i.outcome).toBe('open');
    expect(i.endedMs).toBeNull();
    expect(i.handleSeconds).toBeNull();
  });

  it('dead-letters malformed attributes', () => {
    const d = deriveTask(T, [ev(T, 'task.created', { at: 0, attrs: '{"from": "+1415', channel: 'voice' })]);
    expect(d.kind).toBe('deadLetter');
    if (d.kind === 'deadLetter') expect(d.deadLetter).toMatchObject({ reason: 'malformed_attributes', recordKey: T, source: 'twilio' });
  });

  it('dead-letters JSON that is not an object', () => {
    const d = deriveTask(T, [ev(T, 'task.created', { at: 0, attrs: '[1,2]', channel: 'voice' })]);
    expect(d.kind === 'deadLetter' && d.deadLetter.reason).toBe('malformed_attributes');
  });

  it('dead-letters an unknown channel', () => {
    const d = deriveTask(T, [ev(T, 'task.created', { at: 0, attrs: { from: '+14155550100', channelType: 'fax' }, channel: 'default' })]);
    expect(d.kind === 'deadLetter' && d.deadLetter.reason).toBe('unknown_channel');
  });

  it('dead-letters a task without any identity', () => {
    const d = deriveTask(T, [ev(T, 'task.created', { at: 0, attrs: { from: 'not-a-phone', name: 'X' }, channel: 'voice' })]);
    expect(d.kind === 'deadLetter' && d.deadLetter.reason).toBe('missing_identity');
  });

  it('resolves channelType aliases', () => {
    for (const [ct, ch] of [['web', 'webchat'], ['chat', 'webchat'], ['webchat', 'webchat'], ['sms', 'sms'], ['whatsapp', 'whatsapp']] as const) {
      const attrs = { from: ch === 'webchat' ? 'visitor-1' : ch === 'whatsapp' ? 'whatsapp:+14155550100' : '+14155550100', channelType: ct };
      expect(interaction(deriveTask(T, [ev(T, 'task.created', { at: 0, attrs, channel: 'chat' })])).channel).toBe(ch);
    }
  });

  describe('messaging with a Conversation', () => {
    const CH = sidOf('CH', 7);
    const attrs = { from: 'whatsapp:+14155550111', conversationSid: CH, name: 'Wu' };
    const evs = [ev(T, 'task.created', { at: 0, attrs, channel: 'chat', queue: Q1 }), ev(T, 'reservation.accepted', { at: 10, worker: W1 }), ev(T, 'task.completed', { at: 300 })];
    const snap: ConversationSnapshot = { sid: CH, state: 'closed', createdMs: at(-1), updatedMs: at(400), closedMs: at(400), bindingType: 'whatsapp', optOut: true };

    it('asks for the Conversation when the channel depends on it', () => {
      expect(deriveTask(T, evs)).toEqual({ kind: 'needsConversation', conversationSid: CH });
    });

    it('dead-letters unknown_channel when the Conversation is unavailable', () => {
      const d = deriveTask(T, evs, undefined, { conversationUnavailable: true });
      expect(d.kind === 'deadLetter' && d.deadLetter.reason).toBe('unknown_channel');
    });

    it('takes the channel from the binding, the close time and the STOP opt-out', () => {
      const i = interaction(deriveTask(T, evs, snap));
      expect(i).toMatchObject({ channel: 'whatsapp', conversationSid: CH, conversationClosedMs: at(400), optOut: true });
      expect(i.customer).toEqual({ extId: '+14155550111', phone: '+14155550111', whatsapp: '+14155550111' });
    });

    it('reads a stored snapshot among the task events', () => {
      const i = interaction(deriveTask(T, [...evs, rawEventFromSnapshot(T, snap)]));
      expect(i.channel).toBe('whatsapp');
      expect(i.conversationClosedMs).toBe(at(400));
    });
  });

  it('recognises a survey task (case-insensitive kind)', () => {
    const d = deriveTask(T, [ev(T, 'task.created', { at: 0, attrs: { conversations: { kind: 'SURVEY', conversation_id: sidOf('WT', 2) } }, channel: 'voice' })]);
    expect(d.kind).toBe('survey');
  });

  it('is order-independent (any permutation of the same events)', () => {
    const base = [
      ev(T, 'task.created', { at: 0, attrs: voiceAttrs, channel: 'voice', queue: Q1 }),
      ev(T, 'reservation.rejected', { at: 3, worker: W2 }),
      ev(T, 'reservation.accepted', { at: 30, worker: W1 }),
      ev(T, 'task-queue.moved', { at: 60, queue: Q2 }),
      ev(T, 'reservation.accepted', { at: 60, worker: W2 }),
      ev(T, 'task.wrapup', { at: 120 }),
      ev(T, 'task.updated', { at: 120, attrs: { ...voiceAttrs, name: 'Ann B.' } }),
      ev(T, 'task.completed', { at: 150 }),
    ];
    const expected = deriveTask(T, base);
    fc.assert(fc.property(fc.shuffledSubarray(base, { minLength: base.length, maxLength: base.length }), (perm) => {
      expect(deriveTask(T, perm)).toEqual(expected);
    }));
    expect(interaction(expected).attributes.name).toBe('Ann B.');
  });
});

describe('partial histories', () => {
  it('waits (incomplete) when no event carried the attributes yet, instead of dead-lettering', () => {
    const T = sidOf('WT', 9);
    expect(deriveTask(T, [ev(T, 'reservation.accepted', { at: 3, worker: W1 }), ev(T, 'task.completed', { at: 9 })])).toEqual({ kind: 'incomplete' });
  });
});

describe('halfDerived: a completed task derived without the reservation.accepted that put its agent on it', () => {
  const T = sidOf('WT', 7);
  const created = ev(T, 'task.created', { at: 0, attrs: voiceAttrs, channel: 'voice', queue: Q1 });
  const accepted = ev(T, 'reservation.accepted', { at: 10, worker: W1, queue: Q1 });
  const row = (...evs: ReturnType<typeof ev>[]) => interaction(deriveTask(T, [created, ...evs]));

  it('completed without its accepted event: half-derived (no agent, no wait); derived again with it: complete', () => {
    const half = row(ev(T, 'task.completed', { at: 100 }));
    expect(half).toMatchObject({ outcome: 'completed', workerSid: null, workerName: null, answeredMs: null });
    expect(halfDerived(half)).toBe(true);
    expect(halfDerived(row(accepted, ev(T, 'task.completed', { at: 100 })))).toBe(false);
  });

  it('a task that legitimately has no agent, or has its agent, or says nothing of one yet, is not', () => {
    const abandoned = row(ev(T, 'task.canceled', { at: 40 }));
    const timedOut = row({ ...ev(T, 'task.canceled', { at: 40 }), data: { task_sid: T, task_canceled_reason: 'Task TTL Exceeded' } });
    const canceled = row(accepted, ev(T, 'task.canceled', { at: 40 }));
    const open = row();
    const noWorkerNamed = row(ev(T, 'reservation.accepted', { at: 10 }), ev(T, 'task.completed', { at: 100 }));
    expect([abandoned, timedOut, canceled, open, noWorkerNamed].map((i) => [i.outcome, i.cancelReason, i.workerSid])).toEqual([
      ['abandoned', null, null], ['abandoned', 'Task TTL Exceeded', null], ['canceled', null, W1[0]], ['open', null, null], ['completed', null, null],
    ]);
    expect([abandoned, timedOut, canceled, open, noWorkerNamed].map(halfDerived)).toEqual([false, false, false, false, false]);
  });

  it("a completion that names its agent (the plugin's, for a task TaskRouter has no history of) gives the agent: not half-derived", () => {
    const named = row(ev(T, 'task.completed', { at: 100, worker: W2 }));
    expect(named).toMatchObject({ outcome: 'completed', workerSid: W2[0], workerName: W2[1], answeredMs: null });
    expect(halfDerived(named)).toBe(false);
    // an accepted reservation's agent wins over the one a completion names
    expect(row(accepted, ev(T, 'task.completed', { at: 100, worker: W2 }))).toMatchObject({ workerSid: W1[0], workerName: W1[1] });
    // a name alone (the SDK's workerName)
    const nameOnly = row({ ...ev(T, 'task.completed', { at: 100 }), data: { task_sid: T, worker_name: 'Zoe' } });
    expect(nameOnly).toMatchObject({ workerSid: null, workerName: 'Zoe' });
    expect(halfDerived(nameOnly)).toBe(false);
  });
});
