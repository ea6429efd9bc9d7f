import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TwilioFlexConfigSchema } from '../../config/schema.js';
import { TajoError } from '../../core/errors.js';
import type { InboxInput } from '../../store/types.js';
import { latestSnapshot } from '../derive/conversation.js';
import { type TaskPlanner } from './inboxProcessor.js';
import { livePlanner } from './livePlanner.js';
import {
  advance, C, callback, CH, clock, closeItem, dir, pending, plan, planned, processor, sid, store, streamsEvent, T0, useInboxFixture,
} from './test-helpers/inboxFixture.js';

useInboxFixture();

describe('InboxProcessor', () => {
  it('stores each TaskRouter event once (callbacks and Event Streams share EV keys), marks items processed, plans the task', async () => {
    await store.ingest([callback(1, 'task.created', T0), callback(2, 'task.completed', T0 + 60_000), streamsEvent(1, 'task.created', T0), streamsEvent(2, 'task.completed', T0 + 60_000)]);
    const r = await processor().runOnce();
    expect(r).toMatchObject({ claimed: 4, processed: 4, deferred: 0, rawEvents: 2, tasks: 1 });
    const raw = await store.rawEventsForTasks(C, [sid('WT', 1)]);
    expect(raw.map((e) => [e.key, e.type, e.occurredMs, e.via]).sort()).toEqual([
      [sid('EV', 1), 'task.created', T0, 'webhook'],
      [sid('EV', 2), 'task.completed', T0 + 60_000, 'webhook'],
    ]);
    expect(planned[0]?.taskSids).toEqual([sid('WT', 1)]);
    expect(await pending()).toBe(0);
    // a later re-delivery under another CloudEvent id: a new inbox item, the same raw event
    await store.ingest([{ ...streamsEvent(1, 'task.created', T0), key: 'EZ-redelivered' }]);
    expect(await processor().runOnce()).toMatchObject({ processed: 1, rawEvents: 0 });
    expect(await store.rawEventsForTasks(C, [sid('WT', 1)])).toHaveLength(2);
  });

  it('a callback\'s whole-second copy never replaces the Event Streams copy with milliseconds, whichever comes first', async () => {
    const ms = T0 + 60_734;
    const coarse = callback(2, 'task.completed', T0 + 60_000);
    // callback first, then Event Streams: the stored copy becomes the precise one, and the task is planned with it
    await store.ingest([coarse]);
    await processor().runOnce();
    await store.ingest([streamsEvent(2, 'task.completed', ms)]);
    await processor().runOnce();
    expect((await store.rawEventsForTasks(C, [sid('WT', 1)])).map((e) => e.occurredMs)).toEqual([ms]);
    expect(planned.at(-1)?.rawEvents.map((e) => e.occurredMs)).toEqual([ms]);
    // the callback again (a retry), alone and with the precise copy in one batch: the precise one stays
    await store.ingest([{ ...coarse, key: 'retry-1' }]);
    await processor().runOnce();
    await store.ingest([{ ...coarse, key: 'retry-2' }, { ...streamsEvent(2, 'task.completed', ms), key: 'EZ-again' }]);
    await processor().runOnce();
    expect((await store.rawEventsForTasks(C, [sid('WT', 1)])).map((e) => e.occurredMs)).toEqual([ms]);
    expect(planned.at(-1)?.rawEvents.map((e) => e.occurredMs)).toEqual([ms]);
  });

  it('a row the store cannot read back becomes a dead letter with its text; the rows around it are processed', async () => {
    await store.ingest([callback(1, 'task.created', T0)]);
    // as no writer makes them: a batch row whose item_keys do not match its payload, a row whose payload is not JSON
    const db = new Database(join(dir, 'tajo.db'));
    try {
      const at = new Date(clock).toISOString();
      const put = db.prepare("INSERT INTO inbox (key, source, payload, status, received_at, item_keys) VALUES (?, 'event-streams', ?, 'pending', ?, ?)");
      put.run('EZ-bad-batch', '[{"id":"EZ-bad-batch"}]', at, '["EZ-bad-batch","EZ-missing"]');
      put.run('EZ-bad-json', '{"id": "EZ-bad-json", ', at, null);
    } finally {
      db.close();
    }
    await store.ingest([callback(2, 'task.completed', T0 + 60_000)]);
    const r = await processor().runOnce();
    expect(r).toMatchObject({ claimed: 4, processed: 4, deferred: 0, ignored: 2, rawEvents: 2 });
    expect(await pending()).toBe(0);
    const dead = await store.listDeadLetters();
    expect(dead.map((d) => [d.source, d.reason, d.payload])).toEqual([
      ['webhook', 'corrupt_inbox_row', { key: 'EZ-bad-batch', source: 'event-streams', payload: '[{"id":"EZ-bad-batch"}]', itemKeys: '["EZ-bad-batch","EZ-missing"]' }],
      ['webhook', 'corrupt_inbox_row', { key: 'EZ-bad-json', source: 'event-streams', payload: '{"id": "EZ-bad-json", ', itemKeys: null }],
    ]);
    expect(dead.map((d) => d.error)).toEqual([expect.stringContaining('item_keys does not match'), expect.stringContaining('not JSON')]);
  });

  it('a conversation close that arrives before its task waits, then attaches to the task', async () => {
    await store.ingest([closeItem(T0 + 120_000)]);
    const p = processor();
    const first = await p.runOnce();
    expect(first).toMatchObject({ claimed: 1, processed: 0, deferred: 1 });
    await store.ingest([callback(1, 'task.created', T0)]);
    advance(2000); // past the lease: the deferred item is claimed again
    const second = await p.runOnce();
    expect(second).toMatchObject({ claimed: 2, processed: 2, deferred: 0 });
    const snap = latestSnapshot(await store.rawEventsForTasks(C, [sid('WT', 1)]));
    expect(snap).toMatchObject({ sid: CH, state: 'closed', closedMs: T0 + 120_000 });
    expect(await pending()).toBe(0);
  });

  it('a close the Conversation read does not show yet waits for a read that does; after maxDeferMs the webhook close wins', async () => {
    const snapshot = (closed: boolean) => ({ sid: CH, state: closed ? 'closed' : 'active', createdMs: T0, updatedMs: T0, closedMs: closed ? T0 + 120_000 : null, bindingType: 'sms', optOut: false });
    let closedInRest = false;
    const reader = () => ({ getMany: async (sids: Iterable<string>) => new Map([...sids].map((s) => [s, snapshot(closedInRest)])) });
    await store.ingest([callback(1, 'task.created', T0), closeItem(T0 + 120_400)]);
    const p = processor({ conversationReader: reader, maxDeferMs: 60_000 });
    expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 1 });
    expect(latestSnapshot(await store.rawEventsForTasks(C, [sid('WT', 1)]))).toBeUndefined();
    closedInRest = true;
    advance(2000);
    expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 0 });
    // the read's close, with the webhook's milliseconds
    expect(latestSnapshot(await store.rawEventsForTasks(C, [sid('WT', 1)]))).toMatchObject({ state: 'closed', closedMs: T0 + 120_400 });

    // a read that never catches up: the webhook's close is taken once the item may wait no longer
    const CH2 = sid('CH', 8);
    closedInRest = false;
    const attrs2 = JSON.stringify({ from: '+14155550101', channelType: 'sms', conversationSid: CH2 });
    await store.ingest([
      { ...callback(3, 'task.created', T0), payload: { ...callback(3, 'task.created', T0).payload as object, TaskSid: sid('WT', 2), ResourceSid: sid('WT', 2), TaskAttributes: attrs2 } },
      { ...closeItem(T0 + 90_000), key: `conv:${CH2}:closed`, payload: { ...closeItem(T0 + 90_000).payload as object, ConversationSid: CH2 } },
    ]);
    expect(await p.runOnce()).toMatchObject({ deferred: 1 });
    advance(61_000);
    expect(await p.runOnce()).toMatchObject({ processed: 1, deferred: 0 });
    expect(latestSnapshot(await store.rawEventsForTasks(C, [sid('WT', 2)]))).toMatchObject({ state: 'closed', closedMs: T0 + 90_000 });
  });

  it('a deferred item is retried seconds later, not after the whole lease; the longer it waited, the later', async () => {
    await store.ingest([closeItem(T0 + 120_000)]);
    const p = processor({ leaseMs: 60_000, retryMs: 2000 });
    expect(await p.runOnce()).toMatchObject({ deferred: 1 });
    const probe = (atMs: number) => store.claimInbox({ workerId: 'probe', limit: 10, leaseMs: 1, nowMs: atMs });
    expect(await probe(clock + 1500)).toEqual([]);
    // due again 2 s after the cycle (its age is under 8 s): the processor takes it back then
    advance(2100);
    expect(await p.runOnce()).toMatchObject({ claimed: 1, deferred: 1 });
    // an item that has waited 40 s is retried after 10 s
    advance(38_000);
    expect(await p.runOnce()).toMatchObject({ claimed: 1, deferred: 1 });
    expect(await probe(clock + 9_000)).toEqual([]);
    expect((await probe(clock + 10_500)).map((i) => i.key)).toEqual([closeItem(0).key]);
  });

  it('drops a conversation fact nobody claims after maxDeferMs (sync fills it); a STOP becomes a dead letter instead', async () => {
    const stop: InboxInput = {
      key: `conv:${sid('CH', 9)}:IM1`,
      source: 'conversations',
      payload: { EventType: 'onMessageAdded', ConversationSid: sid('CH', 9), MessageSid: sid('IM', 1), Author: '+14155550177', Body: 'STOP', Source: 'SMS', DateCreated: new Date(T0).toISOString() },
    };
    await store.ingest([closeItem(T0), stop]);
    const p = processor({ maxDeferMs: 500 });
    expect((await p.runOnce()).deferred).toBe(2);
    expect(await store.listDeadLetters()).toEqual([]);
    advance(24 * 3_600_000);
    expect(await p.runOnce()).toMatchObject({ processed: 2, deferred: 0 });
    expect(await pending()).toBe(0);
    const dead = await store.listDeadLetters();
    expect(dead.map((d) => [d.source, d.reason, d.recordKey])).toEqual([['webhook', 'optout_unlinked', stop.key]]);
    expect(dead[0]?.payload).toMatchObject({ source: 'conversations', conversationSid: sid('CH', 9), webhook: { Author: '+14155550177', Body: 'STOP' } });
  });

  it('a plugin call without TaskRouter access uses its own payload; a reservation waits for resolution', async () => {
    await store.ingest([
      { key: `flex:task-complete:${sid('WT', 5)}`, source: 'flex-plugin', payload: { TaskSid: sid('WT', 5), Age: 30, TaskAttributes: { from: '+14155550100' }, TaskChannelUniqueName: 'voice', ReceivedMs: T0 } },
      { key: `flex:task-complete:${sid('WR', 5)}`, source: 'flex-plugin', payload: { TaskSid: sid('WR', 5), ReceivedMs: T0 } },
    ]);
    const r = await processor().runOnce();
    expect(r).toMatchObject({ claimed: 2, processed: 1, deferred: 1 });
    const raw = await store.rawEventsForTasks(C, [sid('WT', 5)]);
    expect(raw.map((e) => [e.type, e.occurredMs]).sort()).toEqual([['task.completed', T0], ['task.created', T0 - 30_000]]);
    // past the inbox's wait, the reservation that never resolved is kept as a replayable dead letter, not dropped
    advance(3_600_000 + 60_000);
    expect(await processor().runOnce()).toMatchObject({ claimed: 1, processed: 1, ignored: 1 });
    expect(await pending()).toBe(0);
    const dead = await store.listDeadLetters();
    expect(dead.map((d) => [d.source, d.reason, d.payload])).toEqual([
      ['webhook', 'reservation_unresolved', { key: `flex:task-complete:${sid('WR', 5)}`, source: 'flex-plugin', webhook: { TaskSid: sid('WR', 5), ReceivedMs: T0 } }],
    ]);
    expect(dead[0]!.error).toContain(sid('WR', 5));
  });

  it('a completion whose age or time no Date can hold is derived without them and does not hold back the items claimed with it', async () => {
    // stored by an older server (its route let any finite Age through) or sent through the SDK (`duration`, `completedAt`)
    const cfg = TwilioFlexConfigSchema.parse({ lists: { support_contacts: 1 } });
    const plugin = (n: number, extra: Record<string, unknown>): InboxInput => ({
      key: `flex:task-complete:${sid('WT', n)}`, source: 'flex-plugin',
      payload: { TaskSid: sid('WT', n), TaskChannelUniqueName: 'voice', TaskAttributes: { from: `+1415555010${n}` }, ReceivedMs: T0, ...extra },
    });
    await store.ingest([
      plugin(1, { Age: 1e308 }),
      plugin(2, { Age: '999999999999' }),
      { key: `sdk:task.completed:${sid('WT', 3)}`, source: 'sdk', payload: { type: 'task.completed', payload: { taskSid: sid('WT', 3), customerPhone: '+14155550103', channel: 'voice', duration: 1e300, completedAt: -1e20 } } },
      plugin(4, { Age: 30 }),
    ]);
    const p = processor({ plan: livePlanner({ store, connectorId: C, config: cfg, lists: cfg.lists, now: () => clock }) });
    expect(await p.runOnce()).toMatchObject({ claimed: 4, processed: 4, deferred: 0 });
    const raw = await store.rawEventsForTasks(C, [1, 2, 3, 4].map((n) => sid('WT', n)));
    expect(raw.every((e) => Number.isFinite(e.occurredMs) && e.occurredMs >= T0 - 86_400_000 && e.occurredMs <= Date.now())).toBe(true);
    expect(raw.filter((e) => e.type === 'task.created').map((e) => [e.taskSid, e.occurredMs])).toEqual([[sid('WT', 4), T0 - 30_000]]);
    const db = new Database(join(dir, 'tajo.db'), { readonly: true });
    const dates = (db.prepare("SELECT payload FROM outbox WHERE kind = 'event'").all() as { payload: string }[]).map((r) => (JSON.parse(r.payload) as { event_date: string }).event_date);
    db.close();
    expect(dates.length).toBeGreaterThanOrEqual(4);
    expect(dates.every((d) => /^20\d\d-/.test(d))).toBe(true);
    expect(await pending()).toBe(0);
  });

  it('a TaskRouter or Conversations time no Date can hold is unusable, not a batch that never commits', async () => {
    // signed by Twilio, but not checked by the routes beyond their shape: a 16-digit Timestamp, a state change dated 1e20
    const cfg = TwilioFlexConfigSchema.parse({ lists: { support_contacts: 1 } });
    await store.ingest([
      callback(1, 'task.created', T0),
      callback(2, 'task.completed', T0 + 60_000),
      callback(3, 'task.updated', T0, { Timestamp: '9999999999999999' }),
      { key: 'es-close', source: 'event-streams', payload: { type: 'com.twilio.conversations.conversation-state.updated', id: 'es-close', data: { ConversationSid: CH, StateTo: 'closed', StateUpdated: 1e20 } } },
    ]);
    const p = processor({ plan: livePlanner({ store, connectorId: C, config: cfg, lists: cfg.lists, now: () => clock }) });
    expect(await p.runOnce()).toMatchObject({ claimed: 4, processed: 4, deferred: 0 });
    const raw = await store.rawEventsForTasks(C, [sid('WT', 1)]);
    expect(raw.every((e) => Number.isFinite(e.occurredMs) && Math.abs(e.occurredMs) <= 8.64e15)).toBe(true);
    expect(raw.map((e) => e.key)).not.toContain(sid('EV', 3));
    // the close is dated when it was received instead
    expect(latestSnapshot(raw)).toMatchObject({ sid: CH, state: 'closed' });
    expect(await pending()).toBe(0);
  });

  it('an expected failure (a coded TajoError: the store or Twilio unavailable) leaves the items for a retry, no dead letter', async () => {
    await store.ingest([callback(1, 'task.created', T0), callback(3, 'task.created', T0, { TaskSid: sid('WT', 3) })]);
    const failing: TaskPlanner = async () => {
      throw new TajoError('TAJO_STORE_UNAVAILABLE', 'State store is unavailable (SQLITE_IOERR)');
    };
    const p = processor({ plan: failing });
    expect(await p.runOnce()).toMatchObject({ processed: 0, deferred: 2 });
    expect(await store.listDeadLetters()).toEqual([]);
    advance(2000);
    expect(await processor().runOnce()).toMatchObject({ processed: 2 });
  });

  it('a row whose processing throws a bug is set aside as a replayable dead letter; the rows claimed with it are processed', async () => {
    const T = (n: number) => sid('WT', n);
    const rows = [1, 2, 3, 4, 5].map((n) => callback(10 + n, 'task.created', T0, { TaskSid: T(n), ResourceSid: T(n) }));
    await store.ingest(rows);
    // the derivation of task 4 trips a bug, whatever it is derived with
    const buggy: TaskPlanner = async (input) => {
      if (input.taskSids.includes(T(4))) throw new TypeError("Cannot read properties of undefined (reading 'x')");
      return plan(input);
    };
    const r = await processor({ plan: buggy }).runOnce();
    expect(r).toMatchObject({ claimed: 5, processed: 4, ignored: 1, deferred: 0 });
    expect(await pending()).toBe(0);
    expect(planned.flatMap((p) => p.taskSids).sort()).toEqual([T(1), T(2), T(3), T(5)]);
    // the good rows' events are stored; the bad row's webhook is kept whole for `tajo dlq replay`
    expect((await store.rawEventsForTasks(C, [T(1), T(2), T(3), T(4), T(5)])).map((e) => e.taskSid).sort()).toEqual([T(1), T(2), T(3), T(5)]);
    const dead = await store.listDeadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      source: 'webhook', reason: 'processing_failed', recordKey: expect.stringContaining(rows[3]!.key), status: 'open',
      payload: { key: rows[3]!.key, source: 'taskrouter', webhook: rows[3]!.payload }, error: expect.stringContaining('Cannot read properties'),
    });
  });

  it('start() drains, wake() runs at once, stop() waits', async () => {
    const p = processor({ pollMs: 10_000 });
    p.start();
    await store.ingest([callback(1, 'task.created', T0)]);
    p.wake();
    for (let i = 0; i < 100 && (await store.rawEventsForTasks(C, [sid('WT', 1)])).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await p.stop();
    expect(await store.rawEventsForTasks(C, [sid('WT', 1)])).toHaveLength(1);
  });
});
