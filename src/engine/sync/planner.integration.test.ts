import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../config/defaults.js';
import { TwilioFlexConfigSchema } from '../../config/schema.js';
import { openStore } from '../../store/openStore.js';
import type { Store } from '../../store/store.js';
import type { RawEvent } from '../../store/types.js';
import type { ContactPayload } from '../derive/contact.js';
import { rawEventFromSnapshot } from '../derive/conversation.js';
import { Q1, Q2, W1, W2, at, ev, sidOf } from '../derive/test-helpers/events.js';
import { planCustomers } from './customerPlan.js';
import { planTasks } from './taskPlan.js';

const C = 'twilio-flex';
const cfg = TwilioFlexConfigSchema.parse({ lists: { support_contacts: 1, csat_respondents: 2 } });
const stores: { store: Store; dir: string }[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) {
    await s.store.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
});

async function freshStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'tajo-plan-'));
  const store = await openStore({ dataDir: dir });
  stores.push({ store, dir });
  return store;
}

/** One customer: a transferred voice call, an sms with STOP and a late survey; plus a malformed and an unknown-channel task. */
function world(o: { channelType?: boolean } = {}): RawEvent[] {
  const [T1, T2, S1, M, U] = [sidOf('WT', 1), sidOf('WT', 2), sidOf('WT', 3), sidOf('WT', 4), sidOf('WT', 5)];
  const CH = sidOf('CH', 2);
  const voice = { from: '+14155550100', name: 'Ann', email: 'ANN@x.io', customer_tier: 'gold' };
  const sms = { from: '+14155550100', name: 'Ann L.', email: 'ann@x.io', conversationSid: CH, ...(o.channelType ? { channelType: 'sms' } : {}) };
  return [
    ev(T1, 'task.created', { at: 0, attrs: voice, channel: 'voice', queue: Q1 }),
    ev(T1, 'reservation.rejected', { at: 5, worker: W2, queue: Q1 }),
    ev(T1, 'reservation.accepted', { at: 20, worker: W1, queue: Q1 }),
    ev(T1, 'task-queue.entered', { at: 60, queue: Q2 }),
    ev(T1, 'reservation.accepted', { at: 70, worker: W2, queue: Q2 }),
    ev(T1, 'task.wrapup', { at: 200, queue: Q2 }),
    ev(T1, 'task.completed', { at: 230, queue: Q2 }),
    ev(T2, 'task.created', { at: 1000, attrs: sms, channel: 'sms', queue: Q1 }),
    ev(T2, 'reservation.accepted', { at: 1003, worker: W1, queue: Q1 }),
    ev(T2, 'task.wrapup', { at: 1300, queue: Q1 }),
    ev(T2, 'task.completed', { at: 1330, queue: Q1 }),
    rawEventFromSnapshot(T2, { sid: CH, state: 'closed', createdMs: at(999), updatedMs: at(1310), closedMs: at(1310), bindingType: 'sms', optOut: true }),
    ev(S1, 'task.created', { at: 1400, attrs: { from: '+14155550100', conversations: { kind: 'Survey', conversation_id: T2 } }, channel: 'sms' }),
    ev(S1, 'task.updated', { at: 9000, attrs: { from: '+14155550100', survey_scale: 5, conversations: { kind: 'Survey', conversation_id: T2, conversation_measure_1: 2, conversation_label_1: 'Overall' } } }),
    ev(S1, 'task.completed', { at: 9001 }),
    ev(M, 'task.created', { at: 50, attrs: "{'from': '+14155550199'}", channel: 'voice' }),
    ev(U, 'task.created', { at: 60, attrs: { from: '+14155550198' }, channel: 'default' }),
  ];
}

/** Commits the events in the given pages, deriving each page like the sync does; returns the final observable state. */
async function run(pages: RawEvent[][]) {
  const store = await freshStore();
  const deps = { connectorId: C, reader: store, defaultPhoneRegion: 'US', channels: new Set(CHANNELS), csat: true, conversations: undefined, fetchTask: undefined, queueNames: new Map<string, string>() };
  for (const page of pages) {
    const plan = await planTasks(deps, page);
    const planned = await planCustomers({ connectorId: C, reader: store, config: cfg, lists: cfg.lists, nowMs: at(20_000), priority: 1, emit: { contacts: true, events: true, csat: true } }, plan);
    await store.commit(C, planned.batch);
  }
  const first = await store.claimOutbox({ workerId: 't', limit: 1000, leaseMs: 60_000, nowMs: Date.now() });
  // The store hands out an event once its customer's new contact is delivered: deliver the contacts, then read the rest.
  await store.completeOutbox(first.filter((o) => o.kind === 'contact').map((o) => o.id), Date.now());
  const out = [...first, ...(await store.claimOutbox({ workerId: 't', limit: 1000, leaseMs: 60_000, nowMs: Date.now() }))];
  const contacts = out.filter((o) => o.kind === 'contact').map((o) => o.payload as ContactPayload);
  return {
    interactions: (await store.listInteractions(C, { limit: 100 })).map(({ updatedAt: _u, ...r }) => r),
    // the version counts the commits that wrote the row: it depends on how the events were paged
    customers: (await store.getCustomers(C, ['+14155550100'])).map(({ updatedAt: _u, version: _v, ...c }) => c),
    events: out.filter((o) => o.kind === 'event').map((o) => o.key).sort(),
    lastContact: contacts[contacts.length - 1],
    deadLetters: (await store.listDeadLetters({ limit: 100 })).map((d) => `${d.recordKey}:${d.reason}`).sort(),
  };
}

describe('planTasks + planCustomers over a real store', () => {
  it('derives the hand-built world', async () => {
    const r = await run([world()]);
    expect(r.interactions.map((i) => [i.taskSid.slice(-1), i.channel, i.outcome, i.queueName, i.workerName])).toEqual([
      ['1', 'voice', 'completed', 'Billing', 'Bob'],
      ['2', 'sms', 'completed', 'Support', 'Alice'],
    ]);
    expect(r.deadLetters).toEqual([`${sidOf('WT', 4)}:malformed_attributes`, `${sidOf('WT', 5)}:unknown_channel`]);
    expect(r.customers[0]).toMatchObject({ key: '+14155550100', email: 'ann@x.io', smsBlacklisted: true, whatsappBlacklisted: false });
    expect(r.lastContact).toMatchObject({
      ext_id: '+14155550100', email: 'ann@x.io', smsBlacklisted: true, listIds: [1, 2],
      attributes: { FIRSTNAME: 'Ann L.', SUPPORT_TICKET_COUNT: 2, CSAT_SCORE: 2, PREFERRED_CHANNEL: 'sms', VIP_TIER: 'gold', AVG_WAIT_TIME: 11.5, LAST_WAIT_TIME: 3 },
    });
    expect(r.events.map((k) => k.replace(/WT0+/, ''))).toEqual(
      ['CONVERSATION_ENDED:1', 'CONVERSATION_ENDED:2', 'CSAT_SUBMITTED:3', 'SUPPORT_REQUESTED:1', 'SUPPORT_REQUESTED:2', 'SUPPORT_RESOLVED:1', 'SUPPORT_RESOLVED:2'],
    );
  });

  // Without a Conversations reader the sms channel must come from channelType here: a page that holds the task but
  // not yet its Conversation snapshot would otherwise (correctly, with Conversations off) dead-letter unknown_channel.
  it('gives the same final state however the events are split into pages and ordered', async () => {
    const all = world({ channelType: true });
    const expected = await run([all]);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), fc.integer({ min: 1, max: 6 }), async (events, nPages) => {
        const size = Math.ceil(events.length / nPages);
        const pages = Array.from({ length: nPages }, (_, i) => events.slice(i * size, (i + 1) * size)).filter((p) => p.length > 0);
        const got = await run(pages);
        expect(got.interactions).toEqual(expected.interactions);
        expect(got.customers).toEqual(expected.customers);
        expect(got.lastContact).toEqual(expected.lastContact);
        expect(got.deadLetters).toEqual(expected.deadLetters);
        // every event once; event properties may differ only when a page carried a partial history
        expect(got.events).toEqual(expected.events);
      }),
      { numRuns: 12 },
    );
  });
});
