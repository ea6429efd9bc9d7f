import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { isTajoError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import { EmbeddedBackend } from '../embedded.js';
import { emulatorSuite } from '../test-helpers/emulatorSuite.js';
import { loadConnection } from './connection.js';
import { replayInboxKey } from './dlq.js';
import { inboxProcessorFor } from './worker.js';

const C = 'twilio-flex';
const suite = emulatorSuite(7);
let backend: EmbeddedBackend;
let store: Store;

beforeEach(async () => {
  const dir = await suite.tempDir('tajo-dlq-');
  backend = await EmbeddedBackend.open({ dataDir: dir, env: {}, config: ConfigSchema.parse({}) });
  await backend.connect(C, {
    accountSid: suite.emu.info.accountSid, authToken: suite.emu.info.authToken, flexFlowSid: suite.emu.info.flexFlowSid, baseUrls: suite.emu.info.twilio,
    brevoApiKey: suite.emu.info.brevoApiKey, brevoBaseUrl: suite.emu.info.brevo,
  });
  store = await backend.ctx.store();
});
afterEach(async () => {
  await backend.ctx.close();
});

describe('dlq replay', () => {
  it('a replay that fails the same way says so and names the new dead letter', async () => {
    const task = `WT${'0'.repeat(31)}9`;
    // a TaskRouter callback whose attributes are not JSON: the inbox processor dead-letters the task
    await store.ingest([{
      key: `EV${'0'.repeat(31)}9`, source: 'taskrouter',
      payload: { Sid: `EV${'0'.repeat(31)}9`, EventType: 'task.created', TaskSid: task, TaskAttributes: '{not json', TaskChannelUniqueName: 'voice', ResourceType: 'task', ResourceSid: task, Timestamp: String(Math.floor(Date.now() / 1000) - 60) },
    }]);
    await (await inboxProcessorFor(backend.ctx, await loadConnection(backend.ctx, C))).runOnce();
    const [first] = await backend.dlqList({});
    expect(first).toMatchObject({ reason: 'malformed_attributes', recordKey: task, status: 'open' });

    const r = await backend.dlqReplay(first!.id);
    const [now] = await backend.dlqList({});
    expect(now).toMatchObject({ reason: 'malformed_attributes', recordKey: task, status: 'open' });
    expect(now!.id).not.toBe(first!.id);
    expect(r).toEqual({ id: first!.id, status: 'failed', requeued: 0, deadLetters: [{ id: now!.id, reason: 'malformed_attributes', error: now!.error }] });
  });

  it('optout_unlinked: the STOP goes back into the inbox and, once a sync brought its task, reaches the customer', async () => {
    // a sync brings the emulated contact center's tasks; the STOP is about an sms interaction of a customer who has
    // not opted out (the emulated world, which follows the clock, has opt-outs of its own)
    expect((await backend.sync(C, { type: 'full', deliver: false })).status).toBe('ok');
    const interactions = await store.listInteractions(C, { limit: 10_000 });
    const customers = new Map((await store.getCustomers(C, [...new Set(interactions.map((i) => i.customerKey ?? ''))])).map((c) => [c.key, c]));
    const interaction = interactions.find((i) =>
      i.channel === 'sms' && i.conversationSid !== null && i.customerKey !== null && /^\+\d+$/.test(i.customerKey) && customers.get(i.customerKey)?.smsBlacklisted === false);
    expect(interaction).toBeDefined();
    const conversationSid = interaction!.conversationSid!;
    const phone = interaction!.customerKey!;
    const webhook = { EventType: 'onMessageAdded', ConversationSid: conversationSid, MessageSid: `IM${'0'.repeat(31)}1`, Author: phone, Body: 'STOP', Source: 'SMS', DateCreated: new Date().toISOString() };
    // what the inbox processor keeps when no task names the Conversation within its wait (engine/ingest/attachConversations.ts)
    await store.commit(C, { deadLetters: [{ source: 'webhook', reason: 'optout_unlinked', recordKey: `conv:${conversationSid}:IM1`, payload: { source: 'conversations', webhook, conversationSid }, error: 'a STOP keyword in a Conversation that no task named' }] });
    const letter = (await backend.dlqList({})).find((d) => d.reason === 'optout_unlinked');
    expect(letter).toBeDefined();
    const before = await store.getCustomers(C, [phone]);
    expect(before[0]).toMatchObject({ key: phone, smsBlacklisted: false });

    const r = await backend.dlqReplay(letter!.id);
    expect(r).toEqual({ id: letter!.id, status: 'replayed', requeued: 1, inboxKey: replayInboxKey(letter!.id) });
    // processed by the inbox processor at once: the customer is opted out, and the contact write carries it
    const [after] = await store.getCustomers(C, [phone]);
    expect(after).toMatchObject({ key: phone, smsBlacklisted: true });
    expect((await backend.dlqList({})).filter((d) => d.reason === 'optout_unlinked')).toEqual([]);
    // the replay's inbox key is derived from the dead letter: storing it again is a duplicate
    expect(await store.ingest([{ key: replayInboxKey(letter!.id), source: 'conversations', payload: webhook }])).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it('processing_failed: the webhook whose processing threw goes back into the inbox and is processed by the running version', async () => {
    const task = `WT${'0'.repeat(31)}8`;
    const ev = `EV${'0'.repeat(31)}8`;
    const webhook = {
      Sid: ev, EventType: 'task.created', TaskSid: task, TaskAttributes: JSON.stringify({ from: '+14155550123', channelType: 'sms' }), TaskChannelUniqueName: 'sms',
      ResourceType: 'task', ResourceSid: task, Timestamp: String(Math.floor(Date.now() / 1000) - 60),
    };
    // what the inbox processor keeps for a row whose processing threw a bug (engine/ingest/inboxProcessor.ts, setAside)
    await store.commit(C, { deadLetters: [{ source: 'webhook', reason: 'processing_failed', recordKey: `inbox:7:${ev}`, payload: { key: ev, source: 'taskrouter', webhook }, error: 'TypeError: boom' }] });
    const letter = (await backend.dlqList({})).find((d) => d.reason === 'processing_failed');
    expect(letter).toBeDefined();
    const r = await backend.dlqReplay(letter!.id);
    expect(r).toMatchObject({ id: letter!.id, status: 'replayed', inboxKey: replayInboxKey(letter!.id) });
    expect((await store.rawEventsForTasks(C, [task])).map((e) => [e.key, e.type])).toEqual([[ev, 'task.created']]);
    expect((await backend.dlqList({})).filter((d) => d.reason === 'processing_failed')).toEqual([]);
  });
  it('a dead letter of a forgotten person is refused (TAJO_DEAD_LETTER_FORGOTTEN): their webhook is not stored again', async () => {
    const task = `WT${'0'.repeat(31)}6`;
    const ev = `EV${'0'.repeat(31)}6`;
    const jane = '+14155550166';
    await store.commit(C, {
      interactions: [{ taskSid: task, customerKey: jane, channel: 'sms', queueSid: null, queueName: null, workerSid: null, workerName: null, createdMs: Date.now() - 60_000,
        answeredMs: null, wrapupMs: null, endedMs: null, outcome: 'completed', conversationSid: null, conversationClosedMs: null, waitSeconds: null, handleSeconds: null,
        attributes: {}, updatedAt: new Date().toISOString(), cancelReason: null }],
    });
    expect(await backend.forget(C, jane, {})).toMatchObject({ customers: [jane], interactions: 1 });
    // set aside after the forget (its processing threw before the processor dropped the forgotten task)
    const webhook = { Sid: ev, EventType: 'task.completed', TaskSid: task, TaskAttributes: JSON.stringify({ from: jane }), ResourceType: 'task', ResourceSid: task };
    await store.commit(C, { deadLetters: [{ source: 'webhook', reason: 'processing_failed', recordKey: `inbox:8:${ev}`, payload: { key: ev, source: 'taskrouter', webhook }, error: 'TypeError: boom' }] });
    const letter = (await backend.dlqList({})).find((d) => d.reason === 'processing_failed')!;
    const err = await backend.dlqReplay(letter.id).then(() => undefined, (e: unknown) => e);
    expect(isTajoError(err, 'TAJO_DEAD_LETTER_FORGOTTEN')).toBe(true);
    expect((await backend.dlqShow(letter.id)).status).toBe('open');
    // nothing went back into the inbox: the replay's key is free
    expect(await store.ingest([{ key: replayInboxKey(letter.id), source: 'taskrouter', payload: {} }])).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await backend.dlqDiscard(letter.id)).toEqual({ id: letter.id, status: 'discarded' });
  });
});
