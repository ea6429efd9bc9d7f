import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conversationsDedupeKey, validateConversationsWebhook } from './conversations.validate.js';
import { EventStreamsBatchSchema, validateEventStreamsBatch } from './eventStreams.validate.js';
import { flexTaskCompleteKey, validateFlexTaskComplete } from './flexTaskComplete.validate.js';
import { surveyKey, validateSurvey } from './survey.validate.js';
import { taskRouterDedupeKey, validateTaskRouterCallback } from './taskrouter.validate.js';

const sid = (p: string, n: number): string => p + n.toString(16).padStart(32, '0');

describe('TaskRouter callback', () => {
  it('accepts the documented params and keys on Sid, else ResourceSid+EventType+Timestamp, else the task', () => {
    const base = { EventType: 'task.created', TaskSid: sid('WT', 1), Timestamp: '1700000000', WorkspaceSid: sid('WS', 1), Extra: 'kept' };
    const a = validateTaskRouterCallback({ ...base, Sid: sid('EV', 1) });
    expect(a.ok && taskRouterDedupeKey(a.value)).toBe(sid('EV', 1));
    const b = validateTaskRouterCallback({ ...base, ResourceSid: sid('WT', 1) });
    expect(b.ok && taskRouterDedupeKey(b.value)).toBe(`${sid('WT', 1)}:task.created:1700000000`);
    const c = validateTaskRouterCallback(base);
    expect(c.ok && taskRouterDedupeKey(c.value)).toBe(`${sid('WT', 1)}:task.created:1700000000`);
    expect(c.ok && c.value.Extra).toBe('kept');
  });
  it.each([
    [{}],
    [{ EventType: 'task.created' }],
    [{ EventType: 'Task Created', TaskSid: sid('WT', 1) }],
    [{ EventType: 'task.created', TaskSid: 'WT123' }],
    [{ EventType: ['task.created', 'task.completed'], TaskSid: sid('WT', 1) }],
    [{ EventType: 'task.created', TaskSid: sid('WT', 1), Timestamp: 'yesterday' }],
    [{ EventType: 'task.created', Sid: sid('WT', 1) }],
  ])('refuses %j', (body) => {
    expect(validateTaskRouterCallback(body).ok).toBe(false);
  });
});

describe('Event Streams batch', () => {
  it('accepts an array or a single CloudEvent; needs type and id', () => {
    expect(validateEventStreamsBatch([{ type: 't', id: 'a', data: {} }, { type: 't', id: 'b' }])).toMatchObject({ ok: true, value: [{ id: 'a' }, { id: 'b' }] });
    expect(validateEventStreamsBatch({ type: 't', id: 'a', extra: 1 })).toMatchObject({ ok: true, value: [{ id: 'a', extra: 1 }] });
    for (const bad of [[], [{ type: 't' }], [{ id: 'a' }], [{ type: 't', id: '' }], 'x', null, [{ type: 't', id: 5 }], [{ type: 't', id: 'a', time: 7 }]]) {
      expect(validateEventStreamsBatch(bad).ok).toBe(false);
    }
  });
});

describe('Conversations webhook', () => {
  it('keys messages on MessageSid and state changes on the new state and time; RetryCount does not change the key', () => {
    const msg = { EventType: 'onMessageAdded', ConversationSid: sid('CH', 1), MessageSid: sid('IM', 1), Body: 'hi', RetryCount: '0' };
    const v = validateConversationsWebhook(msg);
    expect(v.ok && conversationsDedupeKey(v.value)).toBe(`conv:${sid('CH', 1)}:onMessageAdded:${sid('IM', 1)}`);
    const other = { EventType: 'onParticipantAdded', ConversationSid: sid('CH', 1), ParticipantSid: sid('MB', 1), RetryCount: '0' };
    const k0 = validateConversationsWebhook(other);
    const k1 = validateConversationsWebhook({ ...other, RetryCount: '3' });
    expect(k0.ok && k1.ok && conversationsDedupeKey(k0.value) === conversationsDedupeKey(k1.value)).toBe(true);
    expect(validateConversationsWebhook({ EventType: 'onMessageAdded' }).ok).toBe(false);
    expect(validateConversationsWebhook({ EventType: 'messageAdded', ConversationSid: sid('CH', 1) }).ok).toBe(false);
  });
});

describe('Flex plugin and survey', () => {
  it('accepts WT and WR task SIDs, object or string attributes; drops unknown fields (Token)', () => {
    const r = validateFlexTaskComplete({ TaskSid: sid('WR', 1), TaskAttributes: { a: 1 }, Age: '12', Token: 'secret' });
    expect(r.ok && flexTaskCompleteKey(r.value)).toBe(`flex:task-complete:${sid('WR', 1)}`);
    expect(r.ok && 'Token' in r.value).toBe(false);
    expect(validateFlexTaskComplete({ TaskSid: sid('WK', 1) }).ok).toBe(false);
    expect(validateFlexTaskComplete({ TaskSid: sid('WT', 1), Age: -1 }).ok).toBe(false);
  });
  it('a task age is seconds, a year at most: a larger one dated the task centuries back, or past what a Date holds', () => {
    expect(validateFlexTaskComplete({ TaskSid: sid('WT', 1), Age: 1e308 })).toMatchObject({ ok: false, message: expect.stringMatching(/^Age: .*at most 31622400/) });
    expect(validateFlexTaskComplete({ TaskSid: sid('WT', 1), Age: '999999999999' }).ok).toBe(false);
    expect(validateFlexTaskComplete({ TaskSid: sid('WT', 1), Age: 31_622_401 }).ok).toBe(false);
    expect(validateFlexTaskComplete({ TaskSid: sid('WT', 1), Age: 31_622_400 }).ok).toBe(true);
    expect(validateFlexTaskComplete({ TaskSid: sid('WT', 1), Age: '1209600.5' }).ok).toBe(true);
  });
  it('a survey needs a task link and a score (flat, or in its survey attributes)', () => {
    const ok = validateSurvey({ LinkedTaskSid: sid('WT', 1), Score: 3 });
    expect(ok.ok && surveyKey(ok.value)).toBe(`survey:linked:${sid('WT', 1)}`);
    expect(validateSurvey({ Score: 3 }).ok).toBe(false);
    expect(validateSurvey({ TaskSid: sid('WT', 2) }).ok).toBe(false);
    // a survey without a score would be accepted and then derive nothing: refused
    expect(validateSurvey({ TaskSid: sid('WT', 2), TaskAttributes: '{"conversations":{"kind":"Survey"}}' }).ok).toBe(false);
    expect(validateSurvey({ TaskSid: sid('WT', 2), TaskAttributes: '{"conversations":{"kind":"Survey","conversation_measure_1":"4"}}' }).ok).toBe(true);
    expect(validateSurvey({ TaskSid: sid('WT', 2), TaskAttributes: { conversations: { conversation_measure_1: 2 } } }).ok).toBe(true);
    expect(validateSurvey({ TaskSid: sid('WT', 2), TaskAttributes: '{not json' }).ok).toBe(false);
  });
  it('a survey score lies within its scale (Scale, survey_scale, default 5); times and emails are checked', () => {
    const L = sid('WT', 1);
    expect(validateSurvey({ LinkedTaskSid: L, Score: 5 }).ok).toBe(true);
    expect(validateSurvey({ LinkedTaskSid: L, Score: 99 }).ok).toBe(false);
    expect(validateSurvey({ LinkedTaskSid: L, Score: -1 }).ok).toBe(false);
    expect(validateSurvey({ LinkedTaskSid: L, Score: 9, Scale: 10 }).ok).toBe(true);
    expect(validateSurvey({ LinkedTaskSid: L, Score: 3, Questions: [{ label: 'q', score: 7 }] }).ok).toBe(false);
    expect(validateSurvey({ TaskSid: sid('WT', 2), TaskAttributes: { survey_scale: 10, conversations: { conversation_measure_1: 9 } } }).ok).toBe(true);
    expect(validateSurvey({ TaskSid: sid('WT', 2), TaskAttributes: { conversations: { conversation_measure_1: 9 } } }).ok).toBe(false);
    expect(validateSurvey({ LinkedTaskSid: L, Score: 4, CompletedAt: 'garbage' }).ok).toBe(false);
    expect(validateSurvey({ LinkedTaskSid: L, Score: 4, CompletedAt: '2026-12-06T12:00:00Z' }).ok).toBe(true);
    expect(validateSurvey({ LinkedTaskSid: L, Score: 4, CompletedAt: '1733486400000' }).ok).toBe(true);
    expect(validateSurvey({ LinkedTaskSid: L, Score: 4, CompletedAt: 1733486400000 }).ok).toBe(true);
    expect(validateSurvey({ LinkedTaskSid: L, Score: 4, Email: 'not-an-email' }).ok).toBe(false);
    expect(validateSurvey({ LinkedTaskSid: L, Score: 4, Email: 'ana@example.com' }).ok).toBe(true);
    expect(validateFlexTaskComplete({ TaskSid: sid('WT', 1), CompletedAt: 'yesterday' }).ok).toBe(false);
  });
});

describe('Event Streams batch: plain-code hot path and the schema agree', () => {
  const str = (max: number) => fc.oneof(fc.string({ maxLength: max + 2 }), fc.constant(''), fc.integer(), fc.constant(null));
  const event = fc.record(
    { specversion: str(16), type: str(256), source: str(1024), id: str(256), time: str(64), dataschema: str(40), datacontenttype: str(256), data: fc.anything(), other: fc.anything() },
    { requiredKeys: [] },
  );
  const body = fc.oneof(fc.array(event, { maxLength: 4 }), event, fc.anything());

  it('property: the same verdict and the same events as the zod schema', () => {
    fc.assert(
      fc.property(body, (b) => {
        const viaZod = EventStreamsBatchSchema.safeParse(b);
        const got = validateEventStreamsBatch(b);
        expect(got.ok).toBe(viaZod.success);
        if (got.ok && viaZod.success) expect(got.value).toEqual(viaZod.data);
      }),
      { numRuns: 3000 },
    );
  });
});
