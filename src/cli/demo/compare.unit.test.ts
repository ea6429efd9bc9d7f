import { describe, expect, it } from 'vitest';
import { compare, metricsOf, type BrevoStateDoc, type TruthDoc } from './compare.js';

const truth: TruthDoc = {
  counts: { interactions: 2, customers: 1, agents: 1, events: 2, surveys: 0, deadLetters: 0 },
  contacts: [{ ext_id: '+14155550100', email: 'a@b.co', attributes: { SUPPORT_TICKET_COUNT: 2, AVG_WAIT_TIME: 12.3, LAST_SUPPORT_DATE: '2026-01-02' }, listKeys: ['support_contacts'] }],
  events: [
    { name: 'SUPPORT_REQUESTED', ext_id: '+14155550100', source_sid: 'WT1', event_date: '2026-01-02T10:00:00.100Z' },
    { name: 'SUPPORT_RESOLVED', ext_id: '+14155550100', source_sid: 'WT1', event_date: '2026-01-02T10:05:00.000Z' },
  ],
  deadLetters: [],
};

const state = (over: Partial<BrevoStateDoc> = {}): BrevoStateDoc => ({
  contacts: [{ email: 'a@b.co', ext_id: '+14155550100', attributes: { SUPPORT_TICKET_COUNT: 2, AVG_WAIT_TIME: 12.3, LAST_SUPPORT_DATE: '2026-01-02' }, listIds: [7] }],
  lists: [{ id: 7, name: 'Support', contactIds: [1] }],
  events: truth.events.map((e) => ({ event_name: e.name, identifiers: { ext_id: e.ext_id }, event_date: e.event_date, event_properties: { tajo_id: `${e.name}:${e.source_sid}` } })),
  ...over,
});

describe('demo comparison', () => {
  it('matches an exact state, counting re-sent events once', () => {
    const s = state();
    s.events.push({ ...s.events[0]! });
    const c = compare(s, truth, { support_contacts: 7 });
    expect(c.match).toBe(true);
    expect(c.events).toMatchObject({ expected: 2, found: 3, unique: 2, matching: 2, missing: 0, dateMismatches: 0, unexpected: 0 });
    expect(metricsOf(s).eventsByType).toEqual({ SUPPORT_REQUESTED: 1, SUPPORT_RESOLVED: 1 });
  });

  it('counts a SUPPORT_ABANDONED with a timeout cancel_reason as timed out, not abandoned', () => {
    const abandoned = (sid: string, reason?: string) => ({ event_name: 'SUPPORT_ABANDONED', identifiers: { ext_id: '+14155550100' }, event_date: '2026-01-02T10:00:00.000Z',
      event_properties: { tajo_id: `SUPPORT_ABANDONED:${sid}`, ...(reason === undefined ? {} : { cancel_reason: reason }) } });
    const s = state({ events: [abandoned('WT1', 'Caller hung up'), abandoned('WT2', 'Task TTL Exceeded'), abandoned('WT3'), abandoned('WT2', 'Task TTL Exceeded')] });
    expect(metricsOf(s)).toMatchObject({ abandoned: 2, timedOut: 1 });
  });

  it('reports attribute, date, missing and list differences', () => {
    const s = state();
    s.contacts[0]!.attributes.AVG_WAIT_TIME = 12.4;
    s.contacts[0]!.listIds = [];
    s.events[0]!.event_date = '2026-01-02T10:00:00.000Z';
    s.events.pop();
    const c = compare(s, truth, { support_contacts: 7 });
    expect(c.match).toBe(false);
    expect(c.contacts.matching).toBe(0);
    expect(c.attributes).toMatchObject({ expected: 3, matching: 2 });
    expect(c.events).toMatchObject({ matching: 0, missing: 1, dateMismatches: 1 });
  });
});
