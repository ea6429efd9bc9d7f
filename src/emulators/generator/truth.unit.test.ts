/** The truth on a tiny hand-built model: every expected value below was computed by hand from SEMANTICS.md. */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { WORLD_DDL } from '../world/schema.js';
import { computeTruth } from './compute.js';
import { nearestRank } from './metrics.js';
import type { InteractionRecord } from './model.js';
import { GEN_DDL, ModelWriter } from './model.js';
import type { Customer } from './population.js';

const NOW = Date.parse('2026-01-15T12:00:00.000Z');
const at = (iso: string): number => Date.parse(iso);
const Q = { voice: 'WQ00000000000000000000000000000001', billing: 'WQ00000000000000000000000000000002' };
const W1 = 'WK00000000000000000000000000000001';
const W2 = 'WK00000000000000000000000000000002';

function customer(idx: number, extId: string, more: Partial<Customer>): Customer {
  return { idx, name: 'x', altName: null, phone: null, email: null, chatId: null, tier: null, laterTier: null, accountId: null, channels: ['voice'], extId, ...more };
}

function rec(more: Partial<InteractionRecord> & Pick<InteractionRecord, 'taskSid' | 'customerIdx' | 'createdMs'>): InteractionRecord {
  return {
    kind: 'ok', channel: 'voice', queue0Name: 'Voice Support', queueSid: Q.voice, queueName: 'Voice Support',
    workerSid: W1, workerName: 'ann_agent', answeredMs: null, wrapupMs: null, endedMs: more.createdMs + 60_000,
    outcome: 'completed', conversationSid: null, convEndMs: null, name: null, email: null, phone: null, whatsapp: null,
    tier: null, accountId: null, stopSms: false, stopWhatsapp: false, cancelReason: null, ...more,
  };
}

function build(): Database.Database {
  const db = new Database(':memory:');
  db.exec(WORLD_DDL);
  db.exec(GEN_DDL);
  db.prepare("INSERT INTO workers VALUES (?, 'ann_agent', '{}', 'WA', 0, 0, 0), (?, 'bob_agent', '{}', 'WA', 0, 0, 0)").run(W1, W2);
  db.prepare("INSERT INTO gen_workers VALUES (?, 0, '{}', 'Offline', 0), (?, 1, '{}', 'Offline', 0)").run(W1, W2);
  const cs = [
    customer(0, '+14155550100', { phone: '+14155550100', email: 'Ann.Lee@Example.com' }),
    customer(1, 'chat:guest_1', { chatId: 'guest_1', channels: ['webchat'] }),
    customer(2, '+447911123456', { phone: '+447911123456', channels: ['voice', 'whatsapp'] }),
    customer(3, '+12125550188', { phone: '+12125550188' }),
  ];
  for (const c of cs) db.prepare('INSERT INTO gen_customers VALUES (?, ?, ?)').run(c.idx, c.extId, JSON.stringify(c));
  const m = new ModelWriter(db);
  const i1 = at('2026-01-10T10:00:00.000Z');
  m.interaction(rec({ taskSid: 'WT1', customerIdx: 0, createdMs: i1, answeredMs: i1 + 12_300, wrapupMs: i1 + 300_000, endedMs: i1 + 330_000,
    convEndMs: i1 + 300_000, name: 'Ann Lee', email: 'Ann.Lee@Example.com', tier: 'silver', accountId: 'ACCT-1' }));
  const i2 = at('2026-01-12T09:00:00.000Z');
  m.interaction(rec({ taskSid: 'WT2', customerIdx: 0, channel: 'sms', createdMs: i2, endedMs: i2 + 45_600, outcome: 'abandoned',
    workerSid: null, workerName: null, conversationSid: 'CH2', name: 'Ann', email: ' ann.lee@example.com ', phone: '+14155550100', tier: '' }));
  const i3 = at('2026-01-14T08:00:00.000Z');
  m.interaction(rec({ taskSid: 'WT3', customerIdx: 0, channel: 'sms', createdMs: i3, answeredMs: i3 + 20_000, wrapupMs: i3 + 600_000,
    endedMs: i3 + 640_000, queueSid: Q.billing, queueName: 'Billing', workerSid: W2, workerName: 'bob_agent', conversationSid: 'CH3',
    convEndMs: i3 + 600_500, name: 'Ann Lee', email: 'ANN.LEE@EXAMPLE.COM', phone: '+14155550100', tier: 'gold', stopSms: true }));
  m.interaction(rec({ taskSid: 'WT9', customerIdx: 0, kind: 'malformed_attributes', createdMs: i3 + 5_000_000, name: 'Zed', tier: 'bronze' }));
  const i4 = at('2026-01-15T11:00:00.000Z');
  m.interaction(rec({ taskSid: 'WT4', customerIdx: 1, channel: 'webchat', createdMs: i4, answeredMs: i4 + 5_000, wrapupMs: i4 + 100_000,
    endedMs: i4 + 110_000, conversationSid: 'CH4', convEndMs: null, name: 'Guest' }));
  const i5 = at('2026-01-01T10:00:00.000Z');
  m.interaction(rec({ taskSid: 'WT5', customerIdx: 2, createdMs: i5, answeredMs: i5 + 3_000, wrapupMs: i5 + 50_000, endedMs: i5 + 60_000,
    convEndMs: i5 + 50_000, name: 'Chloé Dubois' }));
  const i6 = at('2026-01-02T10:00:00.000Z');
  m.interaction(rec({ taskSid: 'WT6', customerIdx: 2, channel: 'whatsapp', createdMs: i6, answeredMs: i6 + 8_000, wrapupMs: i6 + 50_000,
    endedMs: i6 + 60_000, conversationSid: 'CH6', convEndMs: i6 + 50_400, name: 'Chloé', whatsapp: '+447911123456' }));
  const i7 = at('2025-12-10T10:00:00.000Z');
  m.interaction(rec({ taskSid: 'WT7', customerIdx: 3, createdMs: i7, endedMs: i7 + 30_000, outcome: 'abandoned', workerSid: null, workerName: null, name: 'Old Timer' }));
  const q = (n: number) => [{ label: 'Overall satisfaction', score: n }, { label: 'Agent knowledge', score: n }];
  m.survey({ surveySid: 'WTS1', taskSid: 'WT1', createdMs: i1 + 400_000, completedMs: at('2026-01-10T10:20:00.000Z'), status: 'ontime', score: 4, questions: q(4), scale: 5 });
  m.survey({ surveySid: 'WTS3', taskSid: 'WT3', createdMs: i3 + 700_000, completedMs: at('2026-01-14T08:30:00.000Z'), status: 'ontime', score: 2, questions: q(2), scale: 5 });
  m.survey({ surveySid: 'WTS4', taskSid: 'WT3', createdMs: i3 + 800_000, completedMs: null, status: 'absent', score: null, questions: [], scale: 5 });
  m.activity(W1, at('2026-01-14T23:00:00.000Z'), 'Available');
  m.activity(W1, at('2026-01-15T01:00:00.000Z'), 'Busy');
  m.activity(W1, at('2026-01-15T01:30:00.000Z'), 'Unavailable');
  m.activity(W1, at('2026-01-15T02:00:00.000Z'), 'Offline');
  return db;
}

describe('computeTruth on a hand-built model', () => {
  const truth = computeTruth(build(), NOW, { truthEvents: true, serviceLevelSeconds: 20, queues: 2 });
  const contact = (ext: string) => truth.contacts.find((c) => c.ext_id === ext);

  it('derives contact attributes per SEMANTICS §3', () => {
    expect(contact('+14155550100')).toEqual({
      ext_id: '+14155550100',
      email: 'ann.lee@example.com',
      attributes: {
        FLEX_IDENTITY: '+14155550100', FIRSTNAME: 'Ann Lee', SMS: '+14155550100', LAST_SUPPORT_DATE: '2026-01-14',
        SUPPORT_TICKET_COUNT: 3, AVG_WAIT_TIME: 16.2, LAST_WAIT_TIME: 20, ABANDONS_30D: 1, CSAT_SCORE: 2,
        PREFERRED_CHANNEL: 'sms', VIP_TIER: 'gold', ACCOUNT_ID: 'ACCT-1',
      },
      listKeys: ['support_contacts', 'csat_respondents'],
      smsBlacklisted: true,
    });
    expect(contact('chat:guest_1')).toEqual({
      ext_id: 'chat:guest_1',
      attributes: { FLEX_IDENTITY: 'chat:guest_1', FIRSTNAME: 'Guest', LAST_SUPPORT_DATE: '2026-01-15', SUPPORT_TICKET_COUNT: 1,
        AVG_WAIT_TIME: 5, LAST_WAIT_TIME: 5, ABANDONS_30D: 0, PREFERRED_CHANNEL: 'webchat' },
      listKeys: ['support_contacts'],
    });
    // tie between voice and whatsapp → the most recent one
    expect(contact('+447911123456')?.attributes).toMatchObject({ PREFERRED_CHANNEL: 'whatsapp', WHATSAPP: '+447911123456', AVG_WAIT_TIME: 5.5, LAST_WAIT_TIME: 8 });
    // abandoned 36 days ago: outside ABANDONS_30D, no wait
    expect(contact('+12125550188')?.attributes).toEqual({ FLEX_IDENTITY: '+12125550188', FIRSTNAME: 'Old Timer', LAST_SUPPORT_DATE: '2025-12-10',
      SUPPORT_TICKET_COUNT: 1, ABANDONS_30D: 0, PREFERRED_CHANNEL: 'voice' });
    expect(truth.deadLetters).toEqual([{ source_sid: 'WT9', reason: 'malformed_attributes' }]);
    expect(truth.counts).toMatchObject({ interactions: 8, customers: 4, agents: 2, surveys: 3, surveysAbsent: 1, deadLetters: 1 });
  });

  it('emits events with as-of-the-event properties (SEMANTICS §4)', () => {
    const of = (sid: string) => truth.events.filter((e) => e.source_sid === sid).map((e) => [e.name, e.event_date, e.properties]);
    expect(of('WT3')).toEqual([
      ['SUPPORT_REQUESTED', '2026-01-14T08:00:00.000Z', { tajo_id: 'SUPPORT_REQUESTED:WT3', task_sid: 'WT3', channel: 'sms', queue: 'Voice Support', conversation_sid: 'CH3' }],
      ['CONVERSATION_ENDED', '2026-01-14T08:10:00.500Z', { tajo_id: 'CONVERSATION_ENDED:WT3', task_sid: 'WT3', channel: 'sms', queue: 'Billing', conversation_sid: 'CH3',
        agent: 'bob_agent', agent_sid: W2, wait_seconds: 20 }],
      ['SUPPORT_RESOLVED', '2026-01-14T08:10:40.000Z', { tajo_id: 'SUPPORT_RESOLVED:WT3', task_sid: 'WT3', channel: 'sms', queue: 'Billing', conversation_sid: 'CH3',
        agent: 'bob_agent', agent_sid: W2, wait_seconds: 20, handle_seconds: 620 }],
    ]);
    expect(of('WT2').map((e) => e[0])).toEqual(['SUPPORT_REQUESTED', 'SUPPORT_ABANDONED']);
    expect(of('WT2')[1]?.[2]).toMatchObject({ wait_seconds: 45.6, queue: 'Voice Support' });
    expect(of('WT4').map((e) => e[0])).toEqual(['SUPPORT_REQUESTED', 'SUPPORT_RESOLVED']);
    const csat = truth.events.find((e) => e.source_sid === 'WTS3');
    expect(csat).toEqual({
      name: 'CSAT_SUBMITTED', ext_id: '+14155550100', email_id: 'ann.lee@example.com', source_sid: 'WTS3', event_date: '2026-01-14T08:30:00.000Z',
      properties: { tajo_id: 'CSAT_SUBMITTED:WTS3', task_sid: 'WTS3', linked_task_sid: 'WT3', channel: 'sms', queue: 'Billing', agent: 'bob_agent',
        agent_sid: W2, csat_score: 2, csat_scale: 5, questions: [{ label: 'Overall satisfaction', score: 2 }, { label: 'Agent knowledge', score: 2 }], low_score: true },
    });
    expect(truth.events.some((e) => e.source_sid === 'WTS4' || e.source_sid === 'WT9')).toBe(false);
    expect(truth.counts.events).toBe(truth.events.length);
    expect(truth.events.length).toBe(2 + 3 + 3 + 2 + 3 + 3 + 2 + 2);
  });

  it('computes metrics with nearest-rank percentiles', () => {
    expect(nearestRank([1, 2, 3, 4], 50)).toBe(2);
    expect(nearestRank([1, 2, 3, 4], 90)).toBe(4);
    expect(nearestRank([7], 90)).toBe(7);
    expect(nearestRank([], 50)).toBeNull();
    const billing = truth.metrics.queues.find((q) => q.queue_name === 'Billing');
    expect(billing).toEqual({ queue_sid: Q.billing, queue_name: 'Billing', day: '2026-01-14', channel: 'sms', entered: 1, answered: 1, abandoned: 0, timed_out: 0,
      wait_p50: 20, wait_p90: 20, wait_max: 20, answered_within_sl: 1 });
    const w1Day = truth.metrics.agents.find((a) => a.worker_sid === W1 && a.day === '2026-01-15');
    expect(w1Day).toMatchObject({ tasks_handled: 1, avg_handle: 105, time_available: 3600, time_busy: 1800, time_break: 1800, time_offline: 36000, avg_csat: null });
    const w1Prev = truth.metrics.agents.find((a) => a.worker_sid === W1 && a.day === '2026-01-14');
    expect(w1Prev).toMatchObject({ tasks_handled: 0, time_available: 3600, avg_handle: null });
    const w1Jan10 = truth.metrics.agents.find((a) => a.worker_sid === W1 && a.day === '2026-01-10');
    expect(w1Jan10).toMatchObject({ tasks_handled: 1, avg_handle: 317.7, p90_handle: 317.7, avg_wrapup: 30, avg_csat: 4 });
    expect(truth.metrics.channels).toEqual({ voice: 3, sms: 2, whatsapp: 1, webchat: 1 });
    expect(truth.metrics.csat).toEqual({ count: 2, avg: 3, distribution: { '1': 0, '2': 1, '3': 0, '4': 1, '5': 0 } });
  });
});

describe('computeTruth: a customer abandonment and a TTL timeout (SEMANTICS §1)', () => {
  const db = new Database(':memory:');
  db.exec(WORLD_DDL);
  db.exec(GEN_DDL);
  const c = customer(0, '+14155550100', { phone: '+14155550100' });
  db.prepare('INSERT INTO gen_customers VALUES (?, ?, ?)').run(c.idx, c.extId, JSON.stringify(c));
  const m = new ModelWriter(db);
  const t0 = at('2026-01-14T08:00:00.000Z');
  const none = { workerSid: null, workerName: null, outcome: 'abandoned' as const };
  m.interaction(rec({ taskSid: 'WTA', customerIdx: 0, createdMs: t0, endedMs: t0 + 40_000, cancelReason: 'Caller hung up', ...none }));
  m.interaction(rec({ taskSid: 'WTB', customerIdx: 0, createdMs: t0 + 60_000, endedMs: t0 + 960_000, cancelReason: 'Task TTL Exceeded', ...none }));
  // a model row without a recorded reason (written before it was kept): the generator then only sent customer reasons
  m.interaction(rec({ taskSid: 'WTC', customerIdx: 0, createdMs: t0 + 120_000, endedMs: t0 + 130_000, ...none }));
  m.interaction(rec({ taskSid: 'WTD', customerIdx: 0, createdMs: t0 + 180_000, answeredMs: t0 + 190_000, endedMs: t0 + 400_000 }));
  const truth = computeTruth(db, NOW, { truthEvents: true, serviceLevelSeconds: 20, queues: 1 });

  it('SUPPORT_ABANDONED carries the reason sent; a timeout is abandoned in Brevo and counts in ABANDONS_30D', () => {
    const reasons = truth.events.filter((e) => e.name === 'SUPPORT_ABANDONED').map((e) => [e.source_sid, e.properties.cancel_reason, e.properties.wait_seconds]);
    expect(reasons).toEqual([['WTA', 'Caller hung up', 40], ['WTC', 'Caller hung up', 10], ['WTB', 'Task TTL Exceeded', 900]]);
    expect(truth.contacts[0]?.attributes.ABANDONS_30D).toBe(3);
  });

  it('the queue row counts the timeout apart: abandoned = customer abandonments only', () => {
    expect(truth.metrics.queues).toEqual([{ queue_sid: Q.voice, queue_name: 'Voice Support', day: '2026-01-14', channel: 'voice', entered: 4,
      answered: 1, abandoned: 2, timed_out: 1, wait_p50: 10, wait_p90: 10, wait_max: 10, answered_within_sl: 1 }]);
  });
});
