/** Why a queued task was canceled: the reason is kept from TaskRouter's task.canceled and tells a timeout from a customer abandonment. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_MAPPING } from '../../config/defaults.js';
import { isTimeoutReason } from '../../store/cancelReason.js';
import type { RawEvent } from '../../store/types.js';
import { interactionEvents } from './events.js';
import { deriveTask, timedOut, type Interaction } from './interaction.js';
import { toInteractionRow } from './rows.js';
import { Q1, W1, ev, sidOf } from './test-helpers/events.js';

const T = sidOf('WT', 7);
const attrs = { from: '+14155550100', name: 'Ann' };

function interaction(evs: RawEvent[]): Interaction {
  const d = deriveTask(T, evs);
  if (d.kind !== 'interaction') throw new Error(`expected an interaction, got ${d.kind}`);
  return d.interaction;
}

/** A voice task canceled while queued; `data` is added to the task.canceled event's data. */
function canceled(data: Record<string, unknown>, o: { accepted?: boolean } = {}): RawEvent[] {
  const cancel = ev(T, 'task.canceled', { at: 60 });
  cancel.data = { ...(cancel.data as Record<string, unknown>), ...data };
  return [
    ev(T, 'task.created', { at: 0, attrs, channel: 'voice', queue: Q1 }),
    ...(o.accepted ? [ev(T, 'reservation.accepted', { at: 10, worker: W1, queue: Q1 })] : []),
    cancel,
  ];
}

describe('cancel reason: which ones are timeouts', () => {
  it.each([
    ['Task TTL Exceeded', true],
    ['task ttl exceeded', true],
    ['Task TTL Exceeded or Max assignment count exceeded', true],
    ['Workflow Timeout', true],
    ['Task timed out in the workflow', true],
    // no worker accepted it: a routing failure, not the customer's decision
    ['Max assignment count exceeded', true],
    ['max assignment count exceeded', true],
    ['Caller hung up', false],
    ['Customer left the conversation', false],
    ['hangup', false],
    ['', false],
    [null, false],
    [undefined, false],
  ])('%j → timeout %s', (reason, expected) => {
    expect(isTimeoutReason(reason)).toBe(expected);
  });
});

describe('deriveTask keeps the cancel reason', () => {
  it('from the Events API / Event Streams field task_canceled_reason, into the interaction and its row', () => {
    const i = interaction(canceled({ task_canceled_reason: 'Task TTL Exceeded' }));
    expect(i.outcome).toBe('abandoned');
    expect(i.cancelReason).toBe('Task TTL Exceeded');
    expect(timedOut(i)).toBe(true);
    expect(toInteractionRow(i, '2026-01-01T00:00:00.000Z').cancelReason).toBe('Task TTL Exceeded');
  });

  it('from an EventCallbackUrl parameter as sent (TaskCanceledReason), and from the generic reason field', () => {
    expect(interaction(canceled({ TaskCanceledReason: 'Caller hung up' })).cancelReason).toBe('Caller hung up');
    expect(interaction(canceled({ reason: 'Workflow Timeout' })).cancelReason).toBe('Workflow Timeout');
    // the specific field wins over the generic one
    expect(interaction(canceled({ reason: 'x', task_canceled_reason: 'Caller hung up' })).cancelReason).toBe('Caller hung up');
  });

  it('a hang-up is a customer abandonment, and so is a cancel without a reason', () => {
    const hangup = interaction(canceled({ task_canceled_reason: 'Caller hung up' }));
    expect(hangup.outcome).toBe('abandoned');
    expect(timedOut(hangup)).toBe(false);
    const none = interaction(canceled({}));
    expect(none.cancelReason).toBeNull();
    expect(timedOut(none)).toBe(false);
  });

  it('only a canceled task has one: a completed task has none, whatever an earlier cancel said', () => {
    const evs = [...canceled({ task_canceled_reason: 'Task TTL Exceeded' }, { accepted: true }), ev(T, 'task.completed', { at: 90 })];
    const i = interaction(evs);
    expect(i.outcome).toBe('completed');
    expect(i.cancelReason).toBeNull();
  });

  it('a task canceled after an accepted reservation keeps its reason but is not an abandonment (outcome canceled)', () => {
    const i = interaction(canceled({ task_canceled_reason: 'Task TTL Exceeded' }, { accepted: true }));
    expect(i.outcome).toBe('canceled');
    expect(i.cancelReason).toBe('Task TTL Exceeded');
    expect(timedOut(i)).toBe(false);
  });

  it('is order-independent: the same events shuffled give the same reason', () => {
    const evs = canceled({ task_canceled_reason: 'Task TTL Exceeded' });
    expect(interaction([...evs].reverse()).cancelReason).toBe('Task TTL Exceeded');
  });
});

describe('SUPPORT_ABANDONED carries cancel_reason when known', () => {
  const ctx = { eventMapping: DEFAULT_EVENT_MAPPING, extId: '+14155550100' };
  const abandonedProps = (i: Interaction) => interactionEvents(i, ctx).find((e) => e.item.event_name === 'SUPPORT_ABANDONED')?.item.event_properties;

  it('the reason as sent, for a hang-up and for a timeout', () => {
    expect(abandonedProps(interaction(canceled({ task_canceled_reason: 'Caller hung up' })))).toMatchObject({ cancel_reason: 'Caller hung up', wait_seconds: 60 });
    expect(abandonedProps(interaction(canceled({ task_canceled_reason: 'Task TTL Exceeded' })))).toMatchObject({ cancel_reason: 'Task TTL Exceeded' });
  });

  it('absent when TaskRouter sent none', () => {
    const props = abandonedProps(interaction(canceled({})));
    expect(props).toBeDefined();
    expect(props).not.toHaveProperty('cancel_reason');
  });
});
