import { describe, expect, it } from 'vitest';
import { cloudEvent, conversationForm, taskRouterForm } from '../../emulators/twilio/push/formats.js';
import type { EventRow } from '../../emulators/twilio/taskrouter/render.js';
import type { ConvEvent } from '../../emulators/twilio/push/worldEvents.js';
import type { WorldInfo } from '../../emulators/twilio/types.js';
import type { InboxItem, RawEvent } from '../../store/types.js';
import { latestSnapshot } from '../derive/conversation.js';
import { deriveTask } from '../derive/interaction.js';
import { rawEventFromTaskRouter } from '../derive/taskEvents.js';
import { mergeSnapshot, snapshotEvent } from './conversationEvents.js';
import { normalizeInboxItem, snakeCase, toEpochMs } from './normalize.js';
import { fallbackCompletionEvents, normalizeFlexPlugin, normalizeSurvey, syntheticSurveySid } from './pluginEvents.js';

const sid = (p: string, n: number): string => p + n.toString(16).padStart(32, '0');
const info: WorldInfo = {
  accountSid: sid('AC', 1), workspaceSid: sid('WS', 1), workspaceName: 'Flex', chatServiceSid: sid('IS', 1), flexInstanceSid: sid('GO', 1),
  messagingServiceSid: sid('MG', 1), workflowSid: sid('WW', 1), flexFlowSid: sid('FO', 1),
};
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const attrs = JSON.stringify({ from: '+14155550100', name: 'Ana', channelType: 'sms', conversationSid: sid('CH', 7) });

function row(n: number, type: string, ms: number, extra: Record<string, string> = {}): EventRow {
  const data = { task_sid: sid('WT', 1), task_attributes: attrs, task_channel_unique_name: 'default', task_queue_sid: sid('WQ', 1), task_queue_name: 'Support', workspace_sid: info.workspaceSid, workspace_name: 'Flex', ...extra };
  return {
    seq: n, sid: sid('EV', n), event_type: type, event_date_ms: ms, resource_type: type.startsWith('reservation') ? 'reservation' : 'task',
    resource_sid: type.startsWith('reservation') ? sid('WR', 1) : sid('WT', 1), actor_type: 'workspace', actor_sid: info.workspaceSid,
    description: 'x', task_sid: sid('WT', 1), reservation_sid: null, worker_sid: null, task_queue_sid: sid('WQ', 1), workflow_sid: null, task_channel: 'default',
    event_data: JSON.stringify(data),
  };
}

/** What the polling path stores for the same event (Events API item → rawEventFromTaskRouter). */
function polled(r: EventRow): RawEvent {
  return rawEventFromTaskRouter({ sid: r.sid, event_type: r.event_type, event_date_ms: r.event_date_ms, resource_type: r.resource_type, resource_sid: r.resource_sid, event_data: JSON.parse(r.event_data) as Record<string, unknown> }, 'poll');
}

const item = (source: InboxItem['source'], payload: unknown, key = 'k'): InboxItem => ({ id: 1, key, source, payload, receivedAt: new Date(T0 + 60_000).toISOString() });

describe('TaskRouter events: webhook and polling give the same raw event', () => {
  const rows = [
    row(1, 'task.created', T0),
    row(2, 'reservation.accepted', T0 + 12_000, { reservation_sid: sid('WR', 1), worker_sid: sid('WK', 1), worker_name: 'Bob' }),
    row(3, 'task.completed', T0 + 300_000, { task_completed_reason: 'done' }),
  ];
  it.each(rows)('Event Streams CloudEvent for $event_type: key = WDS payload sid, same data and time', (r) => {
    const ce = cloudEvent({ source: 'taskrouter', at: r.event_date_ms, key: r.sid, row: r }, info, T0);
    const n = normalizeInboxItem(item('event-streams', ce, String(ce.id)));
    expect(n.rawEvents).toHaveLength(1);
    const got = n.rawEvents[0]!;
    const want = polled(r);
    expect(got.key).toBe(r.sid);
    expect(got.key).not.toBe(ce.id);
    expect({ ...got, via: 'poll', data: pickDataKeys(got.data, want.data) }).toEqual(want);
    expect(got.via).toBe('webhook');
  });
  it.each(rows)('EventCallbackUrl form for $event_type: key = Sid, same data; time from Timestamp (seconds)', (r) => {
    const n = normalizeInboxItem(item('taskrouter', taskRouterForm(r, info, T0)));
    const got = n.rawEvents[0]!;
    const want = polled(r);
    expect(got.key).toBe(r.sid);
    expect(got.type).toBe(r.event_type);
    expect(got.taskSid).toBe(sid('WT', 1));
    expect(got.occurredMs).toBe(Math.floor(r.event_date_ms / 1000) * 1000);
    expect(pickDataKeys(got.data, want.data)).toEqual(want.data);
  });
  it('prefers TimestampMs when the callback carries it', () => {
    const form = { ...taskRouterForm(rows[1]!, info, T0), TimestampMs: String(T0 + 12_345) };
    expect(normalizeInboxItem(item('taskrouter', form)).rawEvents[0]!.occurredMs).toBe(T0 + 12_345);
  });
  it('ignores the Event Streams test event and unsupported types', () => {
    const n = normalizeInboxItem(item('event-streams', { type: 'com.twilio.eventstreams.test-event', id: 'x', data: { test_id: 'y' } }));
    expect(n.rawEvents).toEqual([]);
    expect(n.ignored).toMatch(/unsupported/);
  });
});

describe('TaskRouter task.canceled: the cancel reason survives every path into the derived interaction', () => {
  const created = row(11, 'task.created', T0);
  const cancel = row(12, 'task.canceled', T0 + 95_000, { task_canceled_reason: 'Task TTL Exceeded' });
  it.each([
    ['polling (Events API)', (r: EventRow) => polled(r)],
    ['Event Streams', (r: EventRow) => normalizeInboxItem(item('event-streams', cloudEvent({ source: 'taskrouter', at: r.event_date_ms, key: r.sid, row: r }, info, T0))).rawEvents[0]!],
    ['EventCallbackUrl', (r: EventRow) => normalizeInboxItem(item('taskrouter', taskRouterForm(r, info, T0))).rawEvents[0]!],
  ])('%s', (_path, toRaw) => {
    const d = deriveTask(sid('WT', 1), [toRaw(created), toRaw(cancel)]);
    expect(d.kind).toBe('interaction');
    if (d.kind !== 'interaction') return;
    expect(d.interaction.outcome).toBe('abandoned');
    expect(d.interaction.cancelReason).toBe('Task TTL Exceeded');
  });
  it('an EventCallbackUrl TaskCanceledReason parameter becomes task_canceled_reason, as polling stores it', () => {
    const form = taskRouterForm(cancel, info, T0);
    expect(form.TaskCanceledReason).toBe('Task TTL Exceeded');
    expect((normalizeInboxItem(item('taskrouter', form)).rawEvents[0]!.data as Record<string, unknown>).task_canceled_reason).toBe('Task TTL Exceeded');
  });
});

/** The data keys the polling path has (webhooks may carry a few more envelope fields such as workspace_name). */
function pickDataKeys(got: unknown, want: unknown): Record<string, unknown> {
  const g = got as Record<string, unknown>;
  return Object.fromEntries(Object.keys(want as Record<string, unknown>).map((k) => [k, g[k]]));
}

describe('Conversations', () => {
  const conv = { sid: sid('CH', 7), chat_service_sid: info.chatServiceSid, messaging_service_sid: null, friendly_name: null, unique_name: null, attributes: '{}', state: 'active', date_created_ms: T0, date_updated_ms: T0, date_inactive_ms: null, date_closed_ms: null };
  const participant = { sid: sid('MB', 1), conversation_sid: conv.sid, identity: null, messaging_binding: JSON.stringify({ type: 'sms', address: '+14155550100' }), attributes: '{}', role_sid: null, date_created_ms: T0 };
  const stop: ConvEvent = { type: 'message.added', at: T0 + 1000, key: 'm1', conv, participant, message: { sid: sid('IM', 1), conversation_sid: conv.sid, idx: 0, author: '+14155550100', body: ' stop ', participant_sid: participant.sid, attributes: '{}', date_created_ms: T0 + 1000 } };
  const hello: ConvEvent = { ...stop, key: 'm2', message: { ...stop.message!, sid: sid('IM', 2), body: 'hello' } };
  const agent = { ...participant, sid: sid('MB', 2), identity: 'agent@example.com', messaging_binding: null };
  const agentStop: ConvEvent = { ...stop, key: 'm3', participant: agent, message: { ...stop.message!, sid: sid('IM', 3), author: 'agent@example.com', participant_sid: agent.sid } };
  const closed: ConvEvent = { type: 'conversation-state.updated', at: T0 + 90_000, key: 'c1', conv, stateFrom: 'active', stateTo: 'closed' };
  const joined: ConvEvent = { type: 'participant.added', at: T0, key: 'p1', conv, participant };

  it.each([
    ['webhook', (e: ConvEvent) => item('conversations', conversationForm(e, info))],
    ['event streams', (e: ConvEvent) => item('event-streams', cloudEvent({ source: 'conversations', at: e.at, key: e.key, ev: e }, info, T0))],
  ])('%s: close, customer STOP, binding; agent STOP and plain messages give nothing', (_n, toItem) => {
    expect(normalizeInboxItem(toItem(closed)).conversations).toEqual([{ conversationSid: conv.sid, occurredMs: T0 + 90_000, state: 'closed', closedMs: T0 + 90_000 }]);
    expect(normalizeInboxItem(toItem(stop)).conversations).toEqual([{ conversationSid: conv.sid, occurredMs: T0 + 1000, optOut: true }]);
    expect(normalizeInboxItem(toItem(joined)).conversations).toEqual([{ conversationSid: conv.sid, occurredMs: T0, bindingType: 'sms' }]);
    expect(normalizeInboxItem(toItem(hello)).conversations).toEqual([]);
    expect(normalizeInboxItem(toItem(agentStop)).conversations).toEqual([]);
  });

  it('mergeSnapshot is order-independent and keeps close, binding and opt-out', () => {
    const obs = [
      { conversationSid: conv.sid, occurredMs: T0 + 90_000, state: 'closed', closedMs: T0 + 90_000 },
      { conversationSid: conv.sid, occurredMs: T0 + 1000, optOut: true },
      { conversationSid: conv.sid, occurredMs: T0, bindingType: 'sms' as const },
    ];
    const a = mergeSnapshot(conv.sid, [], obs);
    const b = mergeSnapshot(conv.sid, [], [...obs].reverse());
    expect(a).toEqual(b);
    expect(a).toMatchObject({ state: 'closed', closedMs: T0 + 90_000, bindingType: 'sms', optOut: true });
    // incremental: one observation at a time, through stored snapshot events, gives the same snapshot
    let stored: RawEvent[] = [];
    for (const o of [obs[1]!, obs[0]!, obs[2]!]) stored = [...stored, snapshotEvent(sid('WT', 1), mergeSnapshot(conv.sid, stored, [o]))];
    expect(latestSnapshot(stored)).toMatchObject({ state: 'closed', closedMs: T0 + 90_000, bindingType: 'sms', optOut: true });
  });
});

describe('Flex plugin, SDK and surveys', () => {
  it('a reservation SID is recorded for resolution, a task SID is used as is', () => {
    expect(normalizeFlexPlugin({ TaskSid: sid('WR', 1), Age: 30, ReceivedMs: T0 }, 0)).toMatchObject({ reservationSid: sid('WR', 1), completedMs: T0, ageSeconds: 30 });
    expect(normalizeFlexPlugin({ TaskSid: sid('WR', 1) }, T0)?.taskSid).toBeUndefined();
    expect(normalizeFlexPlugin({ TaskSid: sid('WT', 1), CompletedAt: '2024-05-01T12:00:00Z' }, 0)).toMatchObject({ taskSid: sid('WT', 1), completedMs: T0 });
  });
  it("a completion time after its receipt (an agent's clock running ahead) is the receipt time; an earlier one is kept", () => {
    expect(normalizeFlexPlugin({ TaskSid: sid('WT', 1), CompletedAt: '2024-05-01T12:07:00Z' }, T0)?.completedMs).toBe(T0);
    expect(normalizeFlexPlugin({ TaskSid: sid('WT', 1), CompletedAt: '2024-05-01T11:59:30Z' }, T0)?.completedMs).toBe(T0 - 30_000);
    expect(normalizeSurvey({ LinkedTaskSid: sid('WT', 1), Score: 4, Scale: 5, CompletedAt: '2024-05-02T00:00:00Z', ReceivedMs: T0 }, 0)[0]?.occurredMs).toBe(T0);
    const sdk = normalizeInboxItem(item('sdk', { type: 'task.completed', payload: { taskSid: sid('WT', 2), completedAt: '2030-01-01T00:00:00Z' } }));
    expect(sdk.completions[0]?.completedMs).toBeLessThanOrEqual(Date.now());
  });
  it('fallback events: task.created at completion − Age, task.completed, stable keys', () => {
    const c = normalizeFlexPlugin({ TaskSid: sid('WT', 1), Age: 30, TaskAttributes: { from: '+14155550100' }, TaskChannelUniqueName: 'voice', ReceivedMs: T0 }, 0)!;
    const evs = fallbackCompletionEvents({ ...c, taskSid: sid('WT', 1) });
    expect(evs.map((e) => [e.type, e.occurredMs, e.key])).toEqual([
      ['task.created', T0 - 30_000, `flex:task-complete:${sid('WT', 1)}:created`],
      ['task.completed', T0, `flex:task-complete:${sid('WT', 1)}:completed`],
    ]);
    expect((evs[0]!.data as Record<string, unknown>).task_attributes).toBe('{"from":"+14155550100"}');
  });
  it('sdk handleEvent task.completed is a completion', () => {
    const n = normalizeInboxItem(item('sdk', { type: 'task.completed', payload: { taskSid: sid('WT', 2), customerEmail: 'a@b.co', channel: 'webchat', duration: 10, queueName: 'Q' } }));
    expect(n.completions[0]).toMatchObject({ taskSid: sid('WT', 2), ageSeconds: 10, queueName: 'Q', attributes: { email: 'a@b.co', channelType: 'webchat' } });
  });
  it("sdk handleEvent's completedAt without a zone is UTC, whatever this server's zone (as every date a user gives)", () => {
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const at = (completedAt: string) => normalizeInboxItem(item('sdk', { type: 'task.completed', payload: { taskSid: sid('WT', 3), completedAt } })).completions[0]?.completedMs;
      expect(at('2024-03-01T10:00:00')).toBe(Date.UTC(2024, 2, 1, 10));
      expect(at('2024-03-01 10:00')).toBe(Date.UTC(2024, 2, 1, 10));
      expect(at('2024-03-01T10:00:00-05:00')).toBe(Date.UTC(2024, 2, 1, 15));
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
  it('a flat survey becomes a completed survey task with Flex Insights attributes', () => {
    const evs = normalizeSurvey({ LinkedTaskSid: sid('WT', 1), Score: 2, Scale: 5, Questions: [{ label: 'Fast?', score: 1 }], Email: 'a@b.co', ReceivedMs: T0 }, 0);
    expect(evs).toHaveLength(1);
    const e = evs[0]!;
    expect(e).toMatchObject({ type: 'task.completed', taskSid: syntheticSurveySid(sid('WT', 1)), occurredMs: T0 });
    expect(JSON.parse((e.data as { task_attributes: string }).task_attributes)).toEqual({
      conversations: { kind: 'Survey', conversation_id: sid('WT', 1), conversation_measure_1: 2, conversation_label_1: 'score', conversation_measure_2: 1, conversation_label_2: 'Fast?' },
      survey_scale: 5,
      email: 'a@b.co',
    });
  });
});

describe('survey posts', () => {
  it('are surveys whatever their attributes say: the flat score and link are written over the given attributes', () => {
    const given = { from: '+14155550100', channelType: 'sms', conversations: { conversation_label_1: 'CSAT' } };
    const [e] = normalizeSurvey({ TaskSid: sid('WT', 9), LinkedTaskSid: sid('WT', 1), Score: 1, TaskAttributes: given, ReceivedMs: T0 }, 0);
    expect(JSON.parse((e!.data as { task_attributes: string }).task_attributes)).toEqual({
      from: '+14155550100',
      channelType: 'sms',
      conversations: { kind: 'Survey', conversation_id: sid('WT', 1), conversation_measure_1: 1, conversation_label_1: 'CSAT' },
    });
  });
  it('keep a survey task posted whole as it is (string attributes)', () => {
    const attrs = { conversations: { kind: 'Survey', conversation_id: sid('WT', 1), conversation_measure_1: 5, conversation_label_1: 'q' } };
    const [e] = normalizeSurvey({ TaskSid: sid('WT', 9), TaskAttributes: JSON.stringify(attrs), ReceivedMs: T0 }, 0);
    expect(JSON.parse((e!.data as { task_attributes: string }).task_attributes)).toEqual(attrs);
  });
});

describe('helpers', () => {
  it('snakeCase', () => {
    expect(snakeCase('TaskQueueSid')).toBe('task_queue_sid');
    expect(snakeCase('WorkerTimeInPreviousActivityMs')).toBe('worker_time_in_previous_activity_ms');
    expect(snakeCase('TaskAge')).toBe('task_age');
  });
  it('toEpochMs', () => {
    expect(toEpochMs('1700000000')).toBe(1_700_000_000_000);
    expect(toEpochMs(1_700_000_000_123)).toBe(1_700_000_000_123);
    expect(toEpochMs('2024-05-01T12:00:00.000Z')).toBe(T0);
    expect(toEpochMs('nope')).toBeNaN();
    expect(toEpochMs(undefined)).toBeNaN();
  });
  it('never throws on junk payloads', () => {
    for (const p of [null, 1, 'x', [], {}, { type: 5 }, { data: null, type: 'com.twilio.taskrouter.task.created' }]) {
      for (const source of ['taskrouter', 'event-streams', 'conversations', 'flex-plugin', 'survey', 'sdk'] as const) {
        expect(() => normalizeInboxItem(item(source, p))).not.toThrow();
      }
    }
  });
});
