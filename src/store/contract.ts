/**
 * The Store contract: every backend runs these tests (`runStoreContract('sqlite', …)`, later `'postgres'`).
 * `makeStore` returns a fresh, migrated, empty store for each test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTajoError } from '../core/errors.js';
import type { CustomerConflictError } from './customerVersion.js';
import { runForgetContract } from './test-helpers/forgetContract.js';
import { contact, event, runOutboxContract } from './test-helpers/outboxContract.js';
import { runScaleContract } from './test-helpers/scaleContract.js';
import { C, connector, customer, interaction, survey, T0 } from './test-helpers/storeRows.js';
import type { Store } from './store.js';

export type MakeStore = () => Promise<Store>;

export { connector, customer, interaction, survey } from './test-helpers/storeRows.js';

export function runStoreContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('migrate is idempotent and reports nothing pending', async () => {
      await store.migrate();
      await store.migrate();
      const m = await store.migrations();
      expect(m.pending).toEqual([]);
      expect(m.applied.length).toBeGreaterThan(0);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('saves, reads, pauses and deletes a connector with its secrets and checkpoints', async () => {
      await store.saveConnector(connector());
      await store.putSecret(C, 'auth_token', { iv: 'aXY=', tag: 'dGFn', ciphertext: 'Y3Q=' });
      await store.putSecret(C, 'auth_token', { iv: 'aXY=', tag: 'dGFn', ciphertext: 'bmV3' });
      expect(await store.getSecrets(C)).toEqual({ auth_token: { iv: 'aXY=', tag: 'dGFn', ciphertext: 'bmV3' } });
      await store.setConnectorStatus(C, 'paused', 'brevo auth', { code: 'TAJO_BREVO_AUTH', message: 'x', at: new Date(T0).toISOString() });
      let rec = await store.getConnector(C);
      expect(rec).toMatchObject({ status: 'paused', statusReason: 'brevo auth', lastError: { code: 'TAJO_BREVO_AUTH' } });
      await store.setConnectorStatus(C, 'active');
      await store.markSynced(C, new Date(T0 + 1).toISOString());
      rec = await store.getConnector(C);
      expect(rec?.status).toBe('active');
      expect(rec?.statusReason).toBeUndefined();
      expect(rec?.lastSyncAt).toBe(new Date(T0 + 1).toISOString());
      expect(rec?.settings).toEqual(connector().settings);
      await store.commit(C, { checkpoint: { stream: 'tasks', partition: '', value: { after: 1 }, expectedVersion: 0 } });
      await store.deleteConnector(C);
      expect(await store.getConnector(C)).toBeUndefined();
      expect(await store.getSecrets(C)).toEqual({});
      expect(await store.listCheckpoints(C)).toEqual([]);
    });

    it('versions checkpoints and a conflict rolls back the whole commit', async () => {
      const first = await store.commit(C, { checkpoint: { stream: 'tasks', partition: 'p', value: { cursor: 'a' }, expectedVersion: 0 } });
      expect(first.checkpointVersion).toBe(1);
      const second = await store.commit(C, { checkpoint: { stream: 'tasks', partition: 'p', value: { cursor: 'b' }, expectedVersion: 1 } });
      expect(second.checkpointVersion).toBe(2);
      const stale = store.commit(C, {
        checkpoint: { stream: 'tasks', partition: 'p', value: { cursor: 'c' }, expectedVersion: 1 },
        rawEvents: [{ key: 'EV1', type: 'task.created', occurredMs: T0, taskSid: 'WT1', via: 'poll', data: {} }],
        interactions: [interaction('WT1')],
        outbox: [event('SUPPORT_REQUESTED:WT1')],
        deadLetters: [{ source: 'twilio', reason: 'unknown_channel', recordKey: 'WT9', payload: {} }],
      });
      await expect(stale).rejects.toSatisfy((e) => isTajoError(e, 'TAJO_CHECKPOINT_CONFLICT'));
      // a first write that finds an existing checkpoint conflicts too, as does a write against a deleted one
      await expect(store.commit(C, { checkpoint: { stream: 'tasks', partition: 'p', value: 1, expectedVersion: 0 } })).rejects.toSatisfy((e) => isTajoError(e, 'TAJO_CHECKPOINT_CONFLICT'));
      await expect(store.commit(C, { checkpoint: { stream: 'other', partition: 'p', value: 1, expectedVersion: 3 } })).rejects.toSatisfy((e) => isTajoError(e, 'TAJO_CHECKPOINT_CONFLICT'));
      expect(await store.getCheckpoint(C, 'tasks', 'p')).toMatchObject({ value: { cursor: 'b' }, version: 2 });
      expect(await store.counts(C)).toEqual({ interactions: 0, customers: 0, workers: 0, surveys: 0, rawEvents: 0 });
      expect((await store.outboxStats()).pending).toBe(0);
      expect(await store.listDeadLetters()).toEqual([]);
      await store.deleteCheckpoints(C, 'tasks');
      expect(await store.getCheckpoint(C, 'tasks', 'p')).toBeUndefined();
    });

    it('dedupes raw events per connector and reads them by task and worker', async () => {
      const ev = (key: string, ms: number, over = {}) => ({ key, type: 'reservation.accepted', occurredMs: ms, taskSid: 'WT1', workerSid: 'WK1', via: 'poll' as const, data: { key }, ...over });
      const r1 = await store.commit(C, { rawEvents: [ev('EV2', T0 + 2), ev('EV1', T0 + 1)] });
      const r2 = await store.commit(C, { rawEvents: [ev('EV1', T0 + 1, { via: 'webhook' }), ev('EV3', T0 + 3, { taskSid: 'WT2', workerSid: 'WK2' })] });
      await store.commit('other', { rawEvents: [ev('EV1', T0)] });
      expect([r1.rawEventsInserted, r2.rawEventsInserted]).toEqual([2, 1]);
      expect((await store.rawEventsForTasks(C, ['WT1'])).map((e) => e.key)).toEqual(['EV1', 'EV2']);
      expect((await store.rawEventsForTasks(C, ['WT1']))[0]).toEqual(ev('EV1', T0 + 1));
      expect((await store.rawEventsForWorkers(C, ['WK1', 'WK2'], T0 + 2)).map((e) => e.key)).toEqual(['EV2', 'EV3']);
      expect(await store.rawEventsForTasks(C, [])).toEqual([]);
      expect(await store.counts(C)).toMatchObject({ rawEvents: 3, workers: 2 });
    });

    it('a callback\'s whole-second copy of an event gives way to the copy with milliseconds, whichever is stored first', async () => {
      const ev = (key: string, ms: number, via: 'poll' | 'webhook', from: string) => ({ key, type: 'task.created', occurredMs: ms, taskSid: 'WT9', via, data: { from } });
      const S = 1_714_564_800_000; // a whole second
      // coarse first, then precise: replaced (and counted)
      expect((await store.commit(C, { rawEvents: [ev('EVa', S, 'webhook', 'callback')] })).rawEventsInserted).toBe(1);
      expect((await store.commit(C, { rawEvents: [ev('EVa', S + 734, 'webhook', 'event-streams')] })).rawEventsInserted).toBe(1);
      // precise first, then coarse: kept; another second or another precise copy: kept
      await store.commit(C, { rawEvents: [ev('EVb', S + 250, 'poll', 'events-api')] });
      expect((await store.commit(C, { rawEvents: [ev('EVb', S, 'webhook', 'callback'), ev('EVa', S, 'webhook', 'callback')] })).rawEventsInserted).toBe(0);
      expect((await store.commit(C, { rawEvents: [ev('EVb', S + 999, 'webhook', 'other'), ev('EVb', S + 1000, 'webhook', 'later second')] })).rawEventsInserted).toBe(0);
      // both copies in one batch, in either order: the precise one
      await store.commit(C, { rawEvents: [ev('EVc', S, 'webhook', 'callback'), ev('EVc', S + 5, 'webhook', 'event-streams'), ev('EVd', S + 5, 'webhook', 'event-streams'), ev('EVd', S, 'webhook', 'callback')] });
      const stored = await store.rawEventsForTasks(C, ['WT9']);
      expect(stored.map((e) => [e.key, e.occurredMs - S, e.via, (e.data as { from: string }).from]).sort()).toEqual([
        ['EVa', 734, 'webhook', 'event-streams'],
        ['EVb', 250, 'poll', 'events-api'],
        ['EVc', 5, 'webhook', 'event-streams'],
        ['EVd', 5, 'webhook', 'event-streams'],
      ]);
    });

    it('upserts interactions, surveys and customers; opt-outs are sticky', async () => {
      await store.commit(C, { interactions: [interaction('WT1'), interaction('WT2', { customerKey: 'jane@x.com', createdMs: T0 + 10 })], surveys: [survey('WTS1')] });
      await store.commit(C, { interactions: [interaction('WT1', { queueName: 'Billing', wrapupMs: T0 + 50_000 })] });
      expect((await store.getInteractions(C, ['WT1', 'WT404']))).toEqual([interaction('WT1', { queueName: 'Billing', wrapupMs: T0 + 50_000 })]);
      expect((await store.interactionsForCustomers(C, ['jane@x.com'])).map((i) => i.taskSid)).toEqual(['WT2']);
      expect(await store.surveysForTasks(C, ['WT1'])).toEqual([survey('WTS1')]);
      expect(await store.surveysForCustomers(C, ['+14155550100'])).toEqual([survey('WTS1')]);
      const cust = customer('+14155550100', { smsBlacklisted: true, pushedHash: 'h1' });
      await store.commit(C, { customers: [cust] });
      await store.commit(C, { customers: [{ ...cust, smsBlacklisted: false, whatsappBlacklisted: true, email: 'a@b.c', pushedHash: 'h2', version: 1 }] });
      expect(await store.getCustomers(C, ['+14155550100'])).toEqual([{ ...cust, email: 'a@b.c', smsBlacklisted: true, whatsappBlacklisted: true, pushedHash: 'h2', version: 2 }]);
      expect(await store.counts(C)).toEqual({ interactions: 2, customers: 1, workers: 0, surveys: 1, rawEvents: 0 });
    });

    it('customer rows are versioned: a row derived from an older version refuses the whole batch', async () => {
      const jane = '+14155550100';
      await store.commit(C, { interactions: [interaction('WT1')], customers: [customer(jane, { pushedHash: 'h1' })], outbox: [contact(jane, 1)] });
      expect((await store.getCustomers(C, [jane]))[0]?.version).toBe(1);
      // a second deriver read no row (version 0) before the first committed: its whole batch is refused
      const stale = { interactions: [interaction('WT2')], customers: [customer(jane, { pushedHash: 'h2' }), customer('bob@x.com')], outbox: [contact(jane, 2), event('E2')] };
      const err = await store.commit(C, stale).then(() => undefined, (e: unknown) => e);
      expect(isTajoError(err, 'TAJO_CUSTOMER_CONFLICT')).toBe(true);
      expect((err as CustomerConflictError).keys).toEqual([jane]);
      expect(JSON.stringify(err)).not.toContain(jane);
      expect(await store.getInteractions(C, ['WT2'])).toEqual([]);
      expect(await store.getCustomers(C, ['bob@x.com'])).toEqual([]);
      expect((await store.outboxStats()).pending).toBe(1);
      // derived again from version 1: lands, and bumps it
      await store.commit(C, { ...stale, customers: [customer(jane, { pushedHash: 'h2', version: 1 }), customer('bob@x.com')] });
      expect((await store.getCustomers(C, [jane, 'bob@x.com'])).map((c) => [c.key, c.version, c.pushedHash])).toEqual([['+14155550100', 2, 'h2'], ['bob@x.com', 1, null]]);
      const claimed = await store.claimOutbox({ workerId: 'w', limit: 10, leaseMs: 1000, nowMs: T0 });
      expect(Object.fromEntries(claimed.map((o) => [o.key, o.payload]))).toEqual({ [`contact:${jane}`]: { ext_id: jane, v: 2 }, E2: { key: 'E2' } });
      // a row derived from a version whose row has since been deleted (forgotten) is a conflict too
      await store.forgetCustomer(C, 'bob@x.com');
      await expect(store.commit(C, { customers: [customer('bob@x.com', { version: 1 })] })).rejects.toSatisfy((e) => isTajoError(e, 'TAJO_CUSTOMER_CONFLICT'));
    });

    it('an interaction row that knows less of its task than the stored one (a stale derivation) does not overwrite it', async () => {
      const whole = interaction('WT1', { wrapupMs: T0 + 50_000, conversationClosedMs: T0 + 70_000 });
      await store.commit(C, { interactions: [whole] });
      // derived by another process from the task's events as they were before that commit: each lacks a time
      const stale = [
        interaction('WT1', { outcome: 'open', workerSid: null, workerName: null, answeredMs: null, wrapupMs: null, endedMs: null, waitSeconds: null, handleSeconds: null }),
        interaction('WT1', { createdMs: null }),
        interaction('WT1', { answeredMs: null, workerSid: null, workerName: null }),
        interaction('WT1', { wrapupMs: null }),
        interaction('WT1', { endedMs: null, outcome: 'open' }),
        interaction('WT1', { conversationClosedMs: null }),
      ];
      for (const row of stale) {
        await store.commit(C, { interactions: [row, interaction('WT2')] });
        expect(await store.getInteractions(C, ['WT1'])).toEqual([whole]);
      }
      // a row that knows as much (a transfer: another agent) or more is written
      const transferred = { ...whole, workerSid: 'WK2', workerName: 'Bo' };
      await store.commit(C, { interactions: [transferred] });
      expect(await store.getInteractions(C, ['WT1'])).toEqual([transferred]);
      expect(await store.getInteractions(C, ['WT2'])).toEqual([interaction('WT2')]);
    });

    it('pages interactions by task sid within a time window', async () => {
      await store.commit(C, { interactions: ['WT3', 'WT1', 'WT2', 'WT4'].map((sid, i) => interaction(sid, { createdMs: T0 + i * 1000 })) });
      const page1 = await store.listInteractions(C, { limit: 2 });
      expect(page1.map((i) => i.taskSid)).toEqual(['WT1', 'WT2']);
      const page2 = await store.listInteractions(C, { limit: 2, afterTaskSid: 'WT2' });
      expect(page2.map((i) => i.taskSid)).toEqual(['WT3', 'WT4']);
      const window = await store.listInteractions(C, { limit: 10, sinceMs: T0 + 1000, untilMs: T0 + 3000 });
      expect(window.map((i) => i.taskSid)).toEqual(['WT1', 'WT2']);
    });

    it('ingest dedupes webhook deliveries; claimInbox leases and a commit completes them', async () => {
      const a = await store.ingest([{ key: 'EV1', source: 'event-streams', payload: { n: 1 } }, { key: 'EV2', source: 'taskrouter', payload: { n: 2 } }]);
      const b = await store.ingest([{ key: 'EV2', source: 'taskrouter', payload: { n: 2 } }, { key: 'EV3', source: 'sdk', payload: { n: 3 } }]);
      expect(a).toEqual({ accepted: 2, duplicates: 0, acceptedKeys: ['EV1', 'EV2'] });
      expect(b).toEqual({ accepted: 1, duplicates: 1, acceptedKeys: ['EV3'] });
      const claimed = await store.claimInbox({ workerId: 'w1', limit: 2, leaseMs: 1000, nowMs: T0 });
      expect(claimed.map((i) => [i.key, i.source, i.payload])).toEqual([['EV1', 'event-streams', { n: 1 }], ['EV2', 'taskrouter', { n: 2 }]]);
      expect((await store.claimInbox({ workerId: 'w2', limit: 10, leaseMs: 1000, nowMs: T0 })).map((i) => i.key)).toEqual(['EV3']);
      await store.commit(C, { processedInboxIds: [claimed[0]!.id] });
      // EV2's lease expires: reclaimed; EV1 is processed and never comes back
      expect((await store.claimInbox({ workerId: 'w3', limit: 10, leaseMs: 1000, nowMs: T0 + 1000 })).map((i) => i.key)).toEqual(['EV2', 'EV3']);
      expect((await store.ingest([{ key: 'EV1', source: 'event-streams', payload: {} }])).accepted).toBe(0);
    });

    it('retryInboxAt moves the lease end of the rows a worker holds, and only of those', async () => {
      await store.ingest([{ key: 'r1', source: 'taskrouter', payload: { n: 1 } }, { key: 'r2', source: 'taskrouter', payload: { n: 2 } }]);
      const claimed = await store.claimInbox({ workerId: 'w1', limit: 10, leaseMs: 60_000, nowMs: T0 });
      const [r1, r2] = ['r1', 'r2'].map((k) => claimed.find((i) => i.key === k)!.id);
      await store.retryInboxAt([r1!], 'w1', T0 + 1000);
      await store.retryInboxAt([r2!], 'someone-else', T0 + 1000);
      expect((await store.claimInbox({ workerId: 'w2', limit: 10, leaseMs: 60_000, nowMs: T0 + 1500 })).map((i) => i.key)).toEqual(['r1']);
      expect(await store.claimInbox({ workerId: 'w3', limit: 10, leaseMs: 60_000, nowMs: T0 + 30_000 })).toEqual([]);
    });

    it('prunes delivered outbox rows and processed inbox rows before a time; the ledger still dedupes them', async () => {
      await store.commit(C, { outbox: [event('E1'), event('E2'), event('E3'), contact('a', 1)] });
      const claimed = await store.claimOutbox({ workerId: 'w1', limit: 10, leaseMs: 60_000, nowMs: T0 });
      const byKey = new Map(claimed.map((i) => [i.key, i.id]));
      await store.completeOutbox([byKey.get('E1')!, byKey.get('contact:a')!], T0 + 10);
      await store.completeOutbox([byKey.get('E2')!], T0 + 1_000);
      await store.deadLetterOutbox(byKey.get('E3')!, { source: 'brevo', reason: 'brevo_rejected', recordKey: 'E3', payload: { key: 'E3' }, error: 'x' });
      await store.ingest([{ key: 'IN1', source: 'event-streams', payload: { n: 1 } }, { key: 'IN2', source: 'event-streams', payload: { n: 2 } }]);
      const inbox = await store.claimInbox({ workerId: 'w1', limit: 1, leaseMs: 60_000, nowMs: T0 });
      await store.commit(C, { processedInboxIds: inbox.map((i) => i.id) });

      expect(await store.pruneDelivered(T0)).toEqual({ outbox: 0, inbox: 0 });
      // E1 and the contact were delivered before T0 + 500; E2 after; the processed inbox row now (before now + 1 min)
      expect(await store.pruneDelivered(T0 + 500)).toEqual({ outbox: 2, inbox: 0 });
      expect(await store.pruneDelivered(Date.now() + 60_000)).toEqual({ outbox: 1, inbox: 1 });
      expect(await store.outboxStats()).toMatchObject({ pending: 0, inflight: 0, delivered: 0, dead: 1 });
      // nothing is sent twice: the ledger remembers what was pruned
      expect(await store.delivered(['E1', 'E2', 'contact:a'])).toEqual(new Map([['E1', null], ['E2', null], ['contact:a', 'h1']]));
      expect((await store.commit(C, { outbox: [event('E1'), event('E2')] })).outboxInserted).toBe(0);
      // the dead letter still replays its outbox row; the unprocessed inbox row is still there
      const [letter] = await store.listDeadLetters({ status: 'open' });
      await store.setDeadLetterStatus(letter!.id, 'replayed');
      expect((await store.claimOutbox({ workerId: 'w2', limit: 10, leaseMs: 1000, nowMs: T0 + 2_000 })).map((i) => i.key)).toEqual(['E3']);
      expect((await store.claimInbox({ workerId: 'w2', limit: 10, leaseMs: 1000, nowMs: T0 })).map((i) => i.key)).toEqual(['IN2']);
    });

    it('finds customers by any identity they hold: key, phone, WhatsApp, email, chat identity', async () => {
      const phoneKeyed = '+18187091743';
      await store.commit(C, {
        interactions: [interaction('WT1', { customerKey: phoneKeyed }), interaction('WT2', { customerKey: 'chat:only-in-interactions' })],
        customers: [
          customer(phoneKeyed, { email: 'david.rossi@yahoo.com' }),
          customer('david.rossi@yahoo.com', { phone: null }),
          customer('+14155550123', { phone: null, whatsapp: '+14155550199' }),
          customer('+14155550124', { chatIdentity: 'web-42' }),
          customer('other@x.com', { phone: null, email: 'other@x.com' }),
          customer('+14155550125', { phone: '+14155550125', email: 'x@other.com' }),
          customer('+14155550126', { email: 'other@x.com' }),
        ],
      });
      expect(await store.findCustomerKeys(C, { email: 'david.rossi@yahoo.com' })).toEqual([phoneKeyed, 'david.rossi@yahoo.com']);
      expect(await store.findCustomerKeys(C, { phone: '+14155550199' })).toEqual(['+14155550123']);
      expect(await store.findCustomerKeys(C, { phone: phoneKeyed })).toEqual([phoneKeyed]);
      expect(await store.findCustomerKeys(C, { chatIdentity: 'web-42' })).toEqual(['+14155550124']);
      expect(await store.findCustomerKeys(C, { chatIdentity: 'only-in-interactions' })).toEqual(['chat:only-in-interactions']);
      expect(await store.findCustomerKeys(C, { email: 'nobody@x.com', phone: '+14155550000', chatIdentity: 'nobody' })).toEqual([]);
      expect(await store.findCustomerKeys('another-connector', { email: 'david.rossi@yahoo.com' })).toEqual([]);
      // every customer holding an email, by email (the delivery worker keeps such contacts out of imports)
      expect(await store.customerKeysByEmail(C, ['david.rossi@yahoo.com', 'other@x.com', 'nobody@x.com'])).toEqual(new Map([
        ['david.rossi@yahoo.com', [phoneKeyed]],
        ['other@x.com', ['+14155550126', 'other@x.com']],
      ]));
      expect(await store.customerKeysByEmail(C, [])).toEqual(new Map());
      expect(await store.customerKeysByEmail('another-connector', ['other@x.com'])).toEqual(new Map());
    });

    it('API keys are found by hash until revoked', async () => {
      await store.createApiKey({ id: 'k1', name: 'ci', hash: 'sha256:abc' });
      expect(await store.findApiKey('sha256:abc')).toMatchObject({ id: 'k1', name: 'ci' });
      expect(await store.revokeApiKey('k1')).toBe(true);
      expect(await store.revokeApiKey('k1')).toBe(false);
      expect(await store.findApiKey('sha256:abc')).toBeUndefined();
      expect((await store.listApiKeys())[0]).toMatchObject({ id: 'k1', revokedAt: expect.any(String) });
    });

    it('leases have one holder until they expire or are released', async () => {
      expect(await store.acquireLease('sync:tasks', 'a', 1000, T0)).toBe(true);
      expect(await store.acquireLease('sync:tasks', 'b', 1000, T0 + 500)).toBe(false);
      expect(await store.acquireLease('sync:tasks', 'a', 1000, T0 + 900)).toBe(true);
      expect(await store.acquireLease('sync:tasks', 'b', 1000, T0 + 1800)).toBe(false);
      expect(await store.acquireLease('sync:tasks', 'b', 1000, T0 + 1900)).toBe(true);
      await store.releaseLease('sync:tasks', 'a');
      expect(await store.acquireLease('sync:tasks', 'a', 1000, T0 + 1901)).toBe(false);
      await store.releaseLease('sync:tasks', 'b');
      expect(await store.acquireLease('sync:tasks', 'a', 1000, T0 + 1902)).toBe(true);
    });
  });
  runOutboxContract(name, makeStore);
  runForgetContract(name, makeStore);
  runScaleContract(name, makeStore);
}
