import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_MAPPING, DEFAULT_FIELD_MAPPING } from '../../config/defaults.js';
import type { InteractionRow, SurveyRow } from '../../store/types.js';
import { buildContact, contactHash } from './contact.js';
import { deriveCustomer, DAY_MS } from './customer.js';
import { conversationEndedMs, interactionEvents, surveyEvent } from './events.js';
import { sidOf } from './test-helpers/events.js';

const NOW = Date.UTC(2026, 5, 30, 0, 0, 0);
let n = 0;
function row(p: Partial<InteractionRow> & { createdMs: number }): InteractionRow {
  n++;
  return {
    taskSid: sidOf('WT', n), customerKey: '+14155550100', channel: 'voice', queueSid: sidOf('WQ', 1), queueName: 'Support',
    workerSid: sidOf('WK', 1), workerName: 'Alice', answeredMs: null, wrapupMs: null, endedMs: null, outcome: 'completed',
    conversationSid: null, conversationClosedMs: null, waitSeconds: null, handleSeconds: null,
    attributes: { from: '+14155550100', name: 'Ann' }, updatedAt: '', ...p,
  };
}
const survey = (score: number, completedMs: number): SurveyRow => ({ surveyTaskSid: sidOf('WT', 900 + score), linkedTaskSid: null, customerKey: '+14155550100', score, scale: 5, questions: [], completedMs });

describe('deriveCustomer', () => {
  it('computes the §3 metrics', () => {
    const rows = [
      row({ createdMs: NOW - 40 * DAY_MS, outcome: 'abandoned', channel: 'sms' }),
      row({ createdMs: NOW - 10 * DAY_MS, outcome: 'abandoned', channel: 'sms' }),
      row({ createdMs: NOW - 5 * DAY_MS, answeredMs: NOW - 5 * DAY_MS + 10_000, channel: 'voice', attributes: { from: '+14155550100', name: 'Old', customer_tier: 'gold', account_id: 'A-1' } }),
      row({ createdMs: NOW - 2 * DAY_MS, answeredMs: NOW - 2 * DAY_MS + 20_100, channel: 'voice', attributes: { from: '+14155550100', name: 'Ann', email: ' Ann@X.io' } }),
    ];
    const c = deriveCustomer('+14155550100', rows.reverse(), [survey(4, NOW - DAY_MS), survey(2, NOW - 3 * DAY_MS)], NOW);
    expect(c.record).toEqual({
      identity: '+14155550100',
      friendly_name: 'Ann',
      attributes: { from: '+14155550100', name: 'Ann', email: ' Ann@X.io' },
      customer_tier: 'gold',
      account_id: 'A-1',
      last_conversation_date: new Date(NOW - 2 * DAY_MS).toISOString().slice(0, 10),
      total_conversations: 4,
      avg_wait_time: 15.1,
      last_wait_time: 20.1,
      abandons_30d: 1,
      last_csat_score: 4,
      preferred_channel: 'voice',
    });
    expect(c.keys).toEqual({ phone: '+14155550100', email: 'ann@x.io' });
    expect(c.surveyCount).toBe(2);
  });

  it('breaks a preferred-channel tie with the most recent interaction among the tied channels', () => {
    const rows = [
      row({ createdMs: NOW - 9 * DAY_MS, channel: 'sms' }),
      row({ createdMs: NOW - 8 * DAY_MS, channel: 'voice' }),
      row({ createdMs: NOW - 7 * DAY_MS, channel: 'voice' }),
      row({ createdMs: NOW - 6 * DAY_MS, channel: 'sms' }),
      row({ createdMs: NOW - 1 * DAY_MS, channel: 'webchat' }),
    ];
    expect(deriveCustomer('k', rows, [], NOW).record.preferred_channel).toBe('sms');
    expect(deriveCustomer('k', rows.slice(0, 3), [], NOW).record.preferred_channel).toBe('voice');
  });

  it('leaves absent metrics out', () => {
    const c = deriveCustomer('a@b.co', [row({ createdMs: NOW - DAY_MS, outcome: 'abandoned', attributes: { email: 'a@b.co' } })], [], NOW);
    expect(c.record.avg_wait_time).toBeUndefined();
    expect(c.record.last_wait_time).toBeUndefined();
    expect(c.record.last_csat_score).toBeUndefined();
    expect(c.record.friendly_name).toBeUndefined();
  });
});

describe('buildContact', () => {
  const rows = [
    row({ createdMs: NOW - DAY_MS, channel: 'whatsapp', answeredMs: NOW - DAY_MS + 3000, attributes: { from: 'whatsapp:+14155550100', phone: '+1 (415) 555-0100', email: 'ANN@x.io', name: 'Ann', customer_tier: 'vip' } }),
  ];
  const c = deriveCustomer('+14155550100', rows, [survey(5, NOW)], NOW);

  it('applies the default field mapping', () => {
    const p = buildContact(c, DEFAULT_FIELD_MAPPING, { support_contacts: 7, csat_respondents: 9 }, { smsBlacklisted: false, whatsappBlacklisted: true });
    expect(p).toEqual({
      ext_id: '+14155550100',
      email: 'ann@x.io',
      attributes: {
        FLEX_IDENTITY: '+14155550100', FIRSTNAME: 'Ann', SMS: '+14155550100', LAST_SUPPORT_DATE: new Date(NOW - DAY_MS).toISOString().slice(0, 10),
        SUPPORT_TICKET_COUNT: 1, AVG_WAIT_TIME: 3, LAST_WAIT_TIME: 3, CSAT_SCORE: 5, PREFERRED_CHANNEL: 'whatsapp', VIP_TIER: 'vip',
        ABANDONS_30D: 0, WHATSAPP: '+14155550100',
      },
      listIds: [7, 9],
      whatsappBlacklisted: true,
    });
  });

  it('follows a custom mapping and changes the hash with it', () => {
    const mapping = { 'attributes.customer_tier': 'TIER', total_conversations: 'COUNT', 'attributes.missing': 'NOPE' };
    const p = buildContact(c, mapping, {}, { smsBlacklisted: false, whatsappBlacklisted: false });
    expect(p).toEqual({ ext_id: '+14155550100', attributes: { TIER: 'vip', COUNT: 1, WHATSAPP: '+14155550100' }, listIds: [] });
    const d = buildContact(c, DEFAULT_FIELD_MAPPING, {}, { smsBlacklisted: false, whatsappBlacklisted: false });
    expect(contactHash(p, mapping)).not.toBe(contactHash(d, DEFAULT_FIELD_MAPPING));
    expect(contactHash(d, DEFAULT_FIELD_MAPPING)).toBe(contactHash(structuredClone(d), { ...DEFAULT_FIELD_MAPPING }));
  });

  it('reads targets as config load normalises them: sms is the phone, Email the email, attributes upper-case', () => {
    const mapping = { 'attributes.phone': 'sms', 'attributes.email': 'Email', 'attributes.customer_tier': 'vip_tier' };
    const p = buildContact(c, mapping, {}, { smsBlacklisted: false, whatsappBlacklisted: false });
    expect(p).toEqual({ ext_id: '+14155550100', email: 'ann@x.io', attributes: { SMS: '+14155550100', VIP_TIER: 'vip', WHATSAPP: '+14155550100' }, listIds: [] });
  });

  it('adds the CSAT list only for respondents', () => {
    const none = deriveCustomer('+14155550100', rows, [], NOW);
    expect(buildContact(none, DEFAULT_FIELD_MAPPING, { support_contacts: 7, csat_respondents: 9 }, { smsBlacklisted: false, whatsappBlacklisted: false }).listIds).toEqual([7]);
  });
});

describe('events', () => {
  const ctx = { eventMapping: DEFAULT_EVENT_MAPPING, extId: '+14155550100', email: 'ann@x.io' };

  it('emits requested, resolved and ended for a completed voice call, each with its own-time properties', () => {
    const r = { ...row({ createdMs: NOW, answeredMs: NOW + 12_350, wrapupMs: NOW + 100_000, endedMs: NOW + 130_000, queueName: 'Billing', conversationSid: null }), createdQueueName: 'Support' };
    const evs = interactionEvents(r, ctx);
    expect(evs.map((e) => [e.item.event_name, e.item.event_date])).toEqual([
      ['SUPPORT_REQUESTED', new Date(NOW).toISOString()],
      ['SUPPORT_RESOLVED', new Date(NOW + 130_000).toISOString()],
      ['CONVERSATION_ENDED', new Date(NOW + 100_000).toISOString()],
    ]);
    expect(evs[0]?.item.identifiers).toEqual({ ext_id: '+14155550100', email_id: 'ann@x.io' });
    expect(evs[0]?.item.event_properties).toEqual({ tajo_id: `SUPPORT_REQUESTED:${r.taskSid}`, task_sid: r.taskSid, channel: 'voice', queue: 'Support' });
    expect(evs[1]?.item.event_properties).toEqual({
      tajo_id: `SUPPORT_RESOLVED:${r.taskSid}`, task_sid: r.taskSid, channel: 'voice', queue: 'Billing', agent: 'Alice', agent_sid: r.workerSid, wait_seconds: 12.4, handle_seconds: 117.7,
    });
    expect(evs[2]?.item.event_properties).toEqual({
      tajo_id: `CONVERSATION_ENDED:${r.taskSid}`, task_sid: r.taskSid, channel: 'voice', queue: 'Billing', agent: 'Alice', agent_sid: r.workerSid, wait_seconds: 12.4,
    });
  });

  it('emits abandoned with the wait until cancel, no resolved and no ended', () => {
    const r = { ...row({ createdMs: NOW, endedMs: NOW + 45_000, outcome: 'abandoned', workerSid: null, workerName: null }), createdQueueName: 'Support' };
    const evs = interactionEvents(r, { ...ctx, email: undefined });
    expect(evs.map((e) => e.item.event_name)).toEqual(['SUPPORT_REQUESTED', 'SUPPORT_ABANDONED']);
    expect(evs[1]?.item.event_properties.wait_seconds).toBe(45);
    expect(evs[1]?.item.identifiers).toEqual({ ext_id: '+14155550100' });
  });

  it('emits CONVERSATION_ENDED for messaging only once the conversation is closed', () => {
    const open = row({ createdMs: NOW, endedMs: NOW + 1000, channel: 'sms', conversationSid: sidOf('CH', 1) });
    expect(conversationEndedMs(open)).toBeNull();
    expect(conversationEndedMs({ ...open, conversationClosedMs: NOW + 5000 })).toBe(NOW + 5000);
    expect(conversationEndedMs({ ...open, channel: 'voice', wrapupMs: null })).toBe(NOW + 1000);
  });

  it('uses event_mapping names in the tajo_id', () => {
    const r = { ...row({ createdMs: NOW }), createdQueueName: null };
    const evs = interactionEvents(r, { ...ctx, eventMapping: { ...DEFAULT_EVENT_MAPPING, 'task.created': 'HELP_ASKED' } });
    expect(evs[0]?.tajoId).toBe(`HELP_ASKED:${r.taskSid}`);
  });

  it('builds CSAT_SUBMITTED with low_score and the linked agent', () => {
    const linked = row({ createdMs: NOW });
    const s = { surveyTaskSid: sidOf('WT', 77), linkedTaskSid: linked.taskSid, score: 2, scale: 5, questions: [{ label: 'Overall', score: 2 }], completedMs: NOW + 60_000 };
    const e = surveyEvent(s, linked, ctx, 2);
    expect(e.tajoId).toBe(`CSAT_SUBMITTED:${s.surveyTaskSid}`);
    expect(e.item.event_properties).toMatchObject({ csat_score: 2, csat_scale: 5, low_score: true, linked_task_sid: linked.taskSid, channel: 'voice', agent: 'Alice', questions: [{ label: 'Overall', score: 2 }] });
    expect(surveyEvent({ ...s, score: 3 }, linked, ctx, 2).item.event_properties.low_score).toBe(false);
    // the threshold is on a 5-point scale: 4 of 10 is 2 of 5 (low), 5 of 10 is not
    expect(surveyEvent({ ...s, score: 4, scale: 10 }, linked, ctx, 2).item.event_properties.low_score).toBe(true);
    expect(surveyEvent({ ...s, score: 5, scale: 10 }, linked, ctx, 2).item.event_properties.low_score).toBe(false);
  });
});
