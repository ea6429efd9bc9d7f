/**
 * The right-to-be-forgotten part of the Store contract (forget, the prune of forgotten task SIDs, what a forgotten task
 * may no longer bring back), run by `runStoreContract` on every backend.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTajoError } from '../../core/errors.js';
import type { MakeStore } from '../contract.js';
import type { CustomerConflictError } from '../customerVersion.js';
import type { Store } from '../store.js';
import { contact, event } from './outboxContract.js';
import { C, customer, interaction, survey, T0 } from './storeRows.js';

export function runForgetContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract (forget): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('forgets a customer and everything derived from them', async () => {
      const jane = '+14155550100';
      await store.commit(C, {
        rawEvents: [{ key: 'EV1', type: 'task.created', occurredMs: T0, taskSid: 'WT1', via: 'poll', data: { from: jane } }],
        interactions: [interaction('WT1'), interaction('WT2', { customerKey: 'bob@x.com' })],
        surveys: [survey('WTS1')],
        customers: [customer(jane)],
        outbox: [contact(jane, 1), event('SUPPORT_REQUESTED:WT1', { customerKey: jane }), event('SUPPORT_REQUESTED:WT2', { customerKey: 'bob@x.com' })],
      });
      expect(await store.forgetCustomer(C, jane)).toEqual({ interactions: 1, surveys: 1, outbox: 2, inflightUntilMs: null, deadLetters: 0, inbox: 0, inboxKept: 0 });
      expect(await store.getCustomers(C, [jane])).toEqual([]);
      expect(await store.rawEventsForTasks(C, ['WT1'])).toEqual([]);
      expect(await store.counts(C)).toEqual({ interactions: 1, customers: 0, workers: 0, surveys: 0, rawEvents: 0 });
      expect((await store.outboxStats()).pending).toBe(1);
      expect(await store.forgetCustomer(C, jane)).toEqual({ interactions: 0, surveys: 0, outbox: 0, inflightUntilMs: null, deadLetters: 0, inbox: 0, inboxKept: 0 });
      // their tasks stay forgotten (per connector), the others are not
      expect((await store.forgottenTasks(C, ['WT1', 'WTS1', 'WT2', 'WT9'])).sort()).toEqual(['WT1', 'WTS1']);
      expect(await store.forgottenTasks('another-connector', ['WT1'])).toEqual([]);
    });

    it('prunes task SIDs forgotten before a time, except those a dead letter or an unprocessed webhook names; the rest still block their tasks', async () => {
      const jane = '+14155550100';
      const carol = '+14155550102';
      const bob = 'bob@x.com';
      const pause = () => new Promise((r) => setTimeout(r, 20));
      await store.commit(C, {
        interactions: [interaction('WT1'), interaction('WT3', { customerKey: carol }), interaction('WT4', { customerKey: carol })],
        customers: [customer(jane), customer(carol)],
      });
      await store.forgetCustomer(C, jane);
      await store.forgetCustomer(C, carol);
      // carol's WT3 is still named by a webhook kept for `tajo dlq replay`, WT4 by a webhook not processed yet
      await store.commit(C, { deadLetters: [{ source: 'webhook', reason: 'processing_failed', recordKey: 'inbox:1:EV3', payload: { TaskSid: 'WT3' }, error: 'x' }] });
      await store.ingest([{ key: 'EV4', source: 'taskrouter', payload: { TaskSid: 'WT4', EventType: 'task.completed' } }]);
      await pause();
      const cut = Date.now();
      await pause();
      await store.commit(C, { interactions: [interaction('WT2', { customerKey: bob })], customers: [customer(bob)] });
      await store.forgetCustomer(C, bob);

      expect(await store.pruneForgotten(cut - 60_000)).toBe(0);
      expect(await store.pruneForgotten(cut)).toBe(1);
      expect((await store.forgottenTasks(C, ['WT1', 'WT2', 'WT3', 'WT4'])).sort()).toEqual(['WT2', 'WT3', 'WT4']);
      // bob, forgotten after the cut-off, stays forgotten: a re-derived interaction of his is refused
      const refused = await store.commit(C, { interactions: [interaction('WT2', { customerKey: bob })], customers: [customer(bob)] }).then(() => undefined, (e: unknown) => e);
      expect(isTajoError(refused, 'TAJO_CUSTOMER_CONFLICT')).toBe(true);
      expect(await store.getCustomers(C, [bob])).toEqual([]);
      // jane's pruned task is no longer refused (past the horizon Twilio no longer hands it back)
      await store.commit(C, { interactions: [interaction('WT1')] });
      expect((await store.counts(C)).interactions).toBe(1);
      // once the dead letter is closed and the webhook processed, carol's tasks go as well
      const [letter] = await store.listDeadLetters({ status: 'open' });
      await store.setDeadLetterStatus(letter!.id, 'discarded');
      expect(await store.pruneForgotten(cut)).toBe(1);
      const inbox = await store.claimInbox({ workerId: 'w1', limit: 10, leaseMs: 60_000, nowMs: Date.now() });
      await store.commit(C, { processedInboxIds: inbox.map((i) => i.id) });
      expect(await store.pruneForgotten(cut)).toBe(1);
      expect(await store.forgottenTasks(C, ['WT1', 'WT2', 'WT3', 'WT4'])).toEqual(['WT2']);
    });

    it('a forgotten task is not brought back: a commit naming it is refused for its customer, its events dropped', async () => {
      const jane = '+14155550100';
      await store.commit(C, { interactions: [interaction('WT1')], surveys: [survey('WTS1', { linkedTaskSid: 'WT1' })], customers: [customer(jane)] });
      await store.forgetCustomer(C, jane);
      // planned before the forget (a sync or the inbox re-deriving her): nothing of the batch is written
      const replanned = { interactions: [interaction('WT1'), interaction('WT7', { customerKey: 'bob@x.com' })], customers: [customer(jane)], outbox: [contact(jane, 1)] };
      const refused = await store.commit(C, replanned).then(() => undefined, (e: unknown) => e);
      expect(isTajoError(refused, 'TAJO_CUSTOMER_CONFLICT')).toBe(true);
      expect([...(refused as CustomerConflictError).keys]).toEqual([jane]);
      // a new survey rating her forgotten interaction is refused the same way
      const survey2 = await store.commit(C, { surveys: [survey('WTS2', { linkedTaskSid: 'WT1' })] }).then(() => undefined, (e: unknown) => e);
      expect(isTajoError(survey2, 'TAJO_CUSTOMER_CONFLICT')).toBe(true);
      expect(await store.counts(C)).toEqual({ interactions: 0, customers: 0, workers: 0, surveys: 0, rawEvents: 0 });
      // raw events and Brevo events of a forgotten task are dropped; the rest of the batch commits
      const r = await store.commit(C, {
        rawEvents: [
          { key: 'EV1', type: 'task.completed', occurredMs: T0, taskSid: 'WT1', via: 'webhook', data: { from: jane } },
          { key: 'EV7', type: 'task.created', occurredMs: T0, taskSid: 'WT7', via: 'webhook', data: {} },
        ],
        interactions: [interaction('WT7', { customerKey: 'bob@x.com' })],
        outbox: [event('SUPPORT_REQUESTED:WT1', { customerKey: jane }), event('SUPPORT_REQUESTED:WT7', { customerKey: 'bob@x.com' })],
      });
      expect(r).toMatchObject({ rawEventsInserted: 1, outboxInserted: 1 });
      expect((await store.rawEventsForTasks(C, ['WT1', 'WT7'])).map((e) => e.key)).toEqual(['EV7']);
      expect((await store.claimOutbox({ workerId: 'w', limit: 10, leaseMs: 1000, nowMs: Date.now() })).map((o) => o.key)).toEqual(['SUPPORT_REQUESTED:WT7']);
    });

    it('forget erases every dead letter and single webhook payload about the person, whatever their status, and nobody else\'s', async () => {
      const jane = '+14155550100';
      const bob = 'bob@x.com';
      await store.commit(C, {
        rawEvents: [{ key: 'EV5', type: 'task.created', occurredMs: T0, taskSid: 'WT5', via: 'poll', data: { attributes: '{"email":"jane@x.com"}' } }],
        interactions: [interaction('WT1'), interaction('WT2', { customerKey: bob })],
        customers: [customer(jane, { email: 'jane@x.com' }), customer(bob, { phone: null, email: bob })],
        outbox: [contact(jane, 1), event('SUPPORT_REQUESTED:WT1', { customerKey: jane }), event('SUPPORT_REQUESTED:WT2', { customerKey: bob }), event('SUPPORT_CLOSED:WT1')],
      });
      // Brevo refused her contact and bob's event: dead letters holding the payloads
      for (const kinds of [['contact'], ['event']] as const) {
        for (const o of await store.claimOutbox({ workerId: 'w', kinds: [...kinds], limit: 10, leaseMs: 60_000, nowMs: Date.now() })) {
          if (o.key === `contact:${jane}` || o.key === 'SUPPORT_REQUESTED:WT2') {
            await store.deadLetterOutbox(o.id, { source: 'brevo', reason: 'brevo_rejected', recordKey: o.key, payload: o.payload, error: '400' });
          } else await store.retryOutbox(o.id, 0, 'x');
        }
      }
      await store.commit(C, {
        deadLetters: [
          // a task of hers that could not be mapped: its attributes name her (the email in any case)
          { source: 'twilio', reason: 'unknown_channel', recordKey: 'WT5', payload: { taskSid: 'WT5', attributes: { email: 'Jane@X.com' } }, error: 'x' },
          // a webhook of her task, its attributes as JSON text
          { source: 'webhook', reason: 'processing_failed', recordKey: 'inbox:1:EV1', payload: { key: 'EV1', source: 'taskrouter', webhook: { TaskSid: 'WT1', TaskAttributes: `{"from":"${jane}"}` } }, error: 'x' },
          // someone else's: a phone that merely contains hers as a prefix, bob's task
          { source: 'twilio', reason: 'missing_identity', recordKey: 'WT6', payload: { taskSid: 'WT6', attributes: { from: `${jane}9` } }, error: 'x' },
          { source: 'webhook', reason: 'processing_failed', recordKey: 'inbox:2:EV2', payload: { key: 'EV2', source: 'taskrouter', webhook: { TaskSid: 'WT2' } }, error: 'x' },
        ],
      });
      const webhookOfHers = (await store.listDeadLetters({ status: 'open' })).find((d) => d.recordKey === 'inbox:1:EV1')!;
      await store.setDeadLetterStatus(webhookOfHers.id, 'discarded');
      await store.ingest([
        { key: 'EV1b', source: 'taskrouter', payload: { TaskSid: 'WT1', EventType: 'task.completed' } },
        { key: 'EV2b', source: 'taskrouter', payload: { TaskSid: 'WT2', EventType: 'task.completed' } },
        { key: 'CH1', source: 'conversations', payload: { EventType: 'onMessageAdded', Author: `whatsapp:${jane}` } },
      ]);

      expect(await store.forgetCustomer(C, jane)).toEqual({ interactions: 1, surveys: 0, outbox: 3, inflightUntilMs: null, deadLetters: 3, inbox: 2, inboxKept: 0 });
      const left = [...(await store.listDeadLetters({ status: 'open' })), ...(await store.listDeadLetters({ status: 'discarded' }))];
      expect(left.map((d) => d.recordKey).sort()).toEqual(['SUPPORT_REQUESTED:WT2', 'WT6', 'inbox:2:EV2']);
      // the unmapped task goes the way of her others: raw events gone, SID kept as forgotten
      expect(await store.rawEventsForTasks(C, ['WT5'])).toEqual([]);
      expect((await store.forgottenTasks(C, ['WT1', 'WT5', 'WT6'])).sort()).toEqual(['WT1', 'WT5']);
      expect((await store.claimInbox({ workerId: 'w', limit: 10, leaseMs: 1000, nowMs: Date.now() })).map((i) => i.key)).toEqual(['EV2b']);
      expect(await store.outboxStats()).toMatchObject({ pending: 0, dead: 1 });
    });

    it('a dead letter naming a forgotten task is not replayed (TAJO_DEAD_LETTER_FORGOTTEN), and can still be discarded', async () => {
      const jane = '+14155550100';
      await store.commit(C, { interactions: [interaction('WT1')], customers: [customer(jane)] });
      await store.forgetCustomer(C, jane);
      // set aside after the forget: a webhook of her task whose processing threw, her task failing mapping again
      await store.commit(C, {
        deadLetters: [
          { source: 'webhook', reason: 'processing_failed', recordKey: 'inbox:9:EV9', payload: { key: 'EV9', source: 'taskrouter', webhook: { TaskSid: 'WT1' } }, error: 'x' },
          { source: 'twilio', reason: 'unknown_channel', recordKey: 'WT1', payload: {}, error: 'x' },
          { source: 'twilio', reason: 'unknown_channel', recordKey: 'WT7', payload: { taskSid: 'WT7' }, error: 'x' },
        ],
      });
      const letters = await store.listDeadLetters({ status: 'open' });
      for (const d of letters.filter((x) => x.recordKey !== 'WT7')) {
        const err = await store.setDeadLetterStatus(d.id, 'replayed').then(() => undefined, (e: unknown) => e);
        expect(isTajoError(err, 'TAJO_DEAD_LETTER_FORGOTTEN')).toBe(true);
        expect((err as Error).message).toContain('WT1');
        expect((await store.getDeadLetter(d.id))?.status).toBe('open');
        await store.setDeadLetterStatus(d.id, 'discarded');
        expect((await store.getDeadLetter(d.id))?.status).toBe('discarded');
      }
      // a task nobody forgot replays as before
      const other = letters.find((x) => x.recordKey === 'WT7')!;
      await store.setDeadLetterStatus(other.id, 'replayed');
      expect((await store.getDeadLetter(other.id))?.status).toBe('replayed');
    });

    it('forgetting a person whose write is in flight tells until when it may still land', async () => {
      const jane = '+14155550100';
      await store.commit(C, { interactions: [interaction('WT1')], customers: [customer(jane)], outbox: [contact(jane, 1), event('SUPPORT_REQUESTED:WT1', { customerKey: jane })] });
      const now = Date.now();
      const claimed = await store.claimOutbox({ workerId: 'w', kinds: ['contact'], limit: 10, leaseMs: 60_000, nowMs: now });
      expect(claimed.map((o) => o.key)).toEqual([`contact:${jane}`]);
      const r = await store.forgetCustomer(C, jane);
      expect(r).toMatchObject({ interactions: 1, outbox: 2 });
      expect(r.inflightUntilMs).toBe(now + 60_000);
      expect(await store.outboxStats()).toMatchObject({ pending: 0, inflight: 0 });
    });
  });
}
