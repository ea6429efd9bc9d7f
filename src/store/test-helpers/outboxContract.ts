/**
 * The outbox part of the Store contract (coalescing, holds, claims and leases, dead letters), run by
 * `runStoreContract` on every backend.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MakeStore } from '../contract.js';
import type { Store } from '../store.js';
import type { OutboxInput } from '../types.js';

const C = 'twilio-flex';
const T0 = Date.UTC(2026, 0, 15, 12);

export const event = (key: string, over: Partial<OutboxInput> = {}): OutboxInput => ({ kind: 'event', key, payload: { key }, priority: 1, ...over });
export const contact = (ext: string, v: number, over: Partial<OutboxInput> = {}): OutboxInput => ({
  kind: 'contact', key: `contact:${ext}`, payload: { ext_id: ext, v }, priority: 1, contentHash: `h${v}`, customerKey: ext, ...over,
});

export function runOutboxContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract (outbox): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('coalesces pending contact writes and never enqueues an event twice', async () => {
      const r1 = await store.commit(C, { outbox: [contact('a', 1), event('E1'), event('E1')] });
      expect(r1.outboxInserted).toBe(2);
      await store.commit(C, { outbox: [contact('a', 2, { priority: 0 })] });
      const claimed = await store.claimOutbox({ workerId: 'w1', limit: 10, leaseMs: 1000, nowMs: T0 });
      expect(claimed.map((i) => [i.key, i.payload, i.priority, i.contentHash])).toEqual([
        ['contact:a', { ext_id: 'a', v: 2 }, 0, 'h2'],
        ['E1', { key: 'E1' }, 1, undefined],
      ]);
      // while v2 is in flight, v3 queues behind it (not coalesced into the in-flight row, not claimable yet)
      await store.commit(C, { outbox: [contact('a', 3), event('E1')] });
      expect(await store.claimOutbox({ workerId: 'w2', limit: 10, leaseMs: 1000, nowMs: T0 })).toEqual([]);
      await store.completeOutbox(claimed.map((i) => i.id), T0 + 10);
      expect(await store.delivered(['contact:a', 'E1', 'E2'])).toEqual(new Map([['contact:a', 'h2'], ['E1', null]]));
      // delivered event keys are never enqueued again (ledger), even if the outbox row were gone
      expect((await store.commit(C, { outbox: [event('E1')] })).outboxInserted).toBe(0);
      const next = await store.claimOutbox({ workerId: 'w2', limit: 10, leaseMs: 1000, nowMs: T0 + 20 });
      expect(next.map((i) => i.payload)).toEqual([{ ext_id: 'a', v: 3 }]);
      await store.completeOutbox([next[0]!.id], T0 + 30);
      expect((await store.delivered(['contact:a'])).get('contact:a')).toBe('h3');
      expect(await store.outboxStats()).toMatchObject({ pending: 0, inflight: 0, delivered: 3, dead: 0, oldestPendingMs: null });
    });

    it('coalesces within one batch too: last contact payload, most urgent priority, first event', async () => {
      const r = await store.commit(C, { outbox: [contact('a', 1, { priority: 0 }), event('E1', { payload: 'first' }), contact('a', 2), event('E1', { payload: 'second' })] });
      expect(r.outboxInserted).toBe(2);
      const claimed = await store.claimOutbox({ workerId: 'w', limit: 10, leaseMs: 1000, nowMs: T0 });
      expect(claimed.map((i) => [i.key, i.payload, i.priority])).toEqual([['contact:a', { ext_id: 'a', v: 2 }, 0], ['E1', 'first', 1]]);
    });

    it('holds an event while its customer\'s contact is queued and never delivered; updates of a delivered contact hold nothing', async () => {
      await store.commit(C, { outbox: [contact('a', 1), event('Ea1', { customerKey: 'a' }), event('Eb1', { customerKey: 'b' }), event('E0')] });
      // b has no contact row (contacts not synced, or dead-lettered): its events go; a's wait for contact:a
      const first = await store.claimOutbox({ workerId: 'w', kinds: ['event'], limit: 10, leaseMs: 60_000, nowMs: T0 });
      expect(first.map((i) => i.key).sort()).toEqual(['E0', 'Eb1']);
      const [c1] = await store.claimOutbox({ workerId: 'w', kinds: ['contact'], limit: 10, leaseMs: 60_000, nowMs: T0 });
      expect(await store.claimOutbox({ workerId: 'w', kinds: ['event'], limit: 10, leaseMs: 60_000, nowMs: T0 })).toEqual([]);
      await store.completeOutbox([c1!.id], T0 + 1);
      expect((await store.claimOutbox({ workerId: 'w', kinds: ['event'], limit: 10, leaseMs: 60_000, nowMs: T0 + 2 })).map((i) => i.key)).toEqual(['Ea1']);
      // a newer write for the delivered contact does not hold a's next events
      await store.commit(C, { outbox: [contact('a', 2), event('Ea2', { customerKey: 'a' })] });
      expect((await store.claimOutbox({ workerId: 'w', kinds: ['event'], limit: 10, leaseMs: 60_000, nowMs: T0 + 3 })).map((i) => i.key)).toEqual(['Ea2']);
    });

    it('claims by priority then due time, and respects kinds and next attempt', async () => {
      await store.commit(C, { outbox: [event('E1'), event('E2', { priority: 0 }), contact('a', 1)] });
      const onlyContacts = await store.claimOutbox({ workerId: 'w', kinds: ['contact'], limit: 10, leaseMs: 60_000, nowMs: T0 });
      expect(onlyContacts.map((i) => i.key)).toEqual(['contact:a']);
      const rest = await store.claimOutbox({ workerId: 'w', limit: 1, leaseMs: 60_000, nowMs: T0 });
      expect(rest.map((i) => i.key)).toEqual(['E2']);
      await store.retryOutbox(rest[0]!.id, T0 + 5000, 'HTTP 503');
      const again = await store.claimOutbox({ workerId: 'w', limit: 10, leaseMs: 60_000, nowMs: T0 + 1 });
      expect(again.map((i) => i.key)).toEqual(['E1']);
      const later = await store.claimOutbox({ workerId: 'w', limit: 10, leaseMs: 60_000, nowMs: T0 + 5000 });
      expect(later).toMatchObject([{ key: 'E2', attempts: 2, lastError: 'HTTP 503' }]);
      const stats = await store.outboxStats();
      expect(stats).toMatchObject({ pending: 0, inflight: 3, byKind: { contact: 1, event: 2, list_add: 0, list_remove: 0 } });
    });

    it('reclaims expired leases (crash safety) and ignores a late completion', async () => {
      await store.commit(C, { outbox: [event('E1'), contact('a', 1)] });
      const first = await store.claimOutbox({ workerId: 'crashed', limit: 10, leaseMs: 1000, nowMs: T0 });
      expect(first).toHaveLength(2);
      expect(await store.claimOutbox({ workerId: 'w2', limit: 10, leaseMs: 1000, nowMs: T0 + 999 })).toEqual([]);
      // a newer contact write arrives while the crashed worker's lease is still held
      await store.commit(C, { outbox: [contact('a', 2)] });
      const reclaimed = await store.claimOutbox({ workerId: 'w2', limit: 10, leaseMs: 1000, nowMs: T0 + 1000 });
      expect(reclaimed.map((i) => [i.key, i.payload, i.attempts])).toEqual([
        ['E1', { key: 'E1' }, 2],
        ['contact:a', { ext_id: 'a', v: 2 }, 1],
      ]);
      expect((await store.outboxStats()).inflight).toBe(2);
      // the crashed worker wakes up and completes its stale rows: no effect on rows it no longer holds
      await store.completeOutbox(first.map((i) => i.id), T0 + 1001);
      await store.completeOutbox(reclaimed.map((i) => i.id), T0 + 1002);
      expect(await store.delivered(['contact:a', 'E1'])).toEqual(new Map([['contact:a', 'h2'], ['E1', null]]));
    });

    it('a retried contact superseded by a newer write is dropped', async () => {
      await store.commit(C, { outbox: [contact('a', 1)] });
      const [row] = await store.claimOutbox({ workerId: 'w', limit: 10, leaseMs: 1000, nowMs: T0 });
      await store.commit(C, { outbox: [contact('a', 2)] });
      await store.retryOutbox(row!.id, T0, 'HTTP 500');
      const next = await store.claimOutbox({ workerId: 'w', limit: 10, leaseMs: 1000, nowMs: T0 });
      expect(next.map((i) => i.payload)).toEqual([{ ext_id: 'a', v: 2 }]);
      expect((await store.outboxStats()).pending + (await store.outboxStats()).inflight).toBe(1);
    });

    it('dead letters: one open per (source, reason, record key); replay requeues the outbox row', async () => {
      const dl = { source: 'twilio' as const, reason: 'malformed_attributes' as const, recordKey: 'WT1', payload: { raw: '{' } };
      await store.commit(C, { deadLetters: [dl, { ...dl, error: 'again' }] });
      await store.commit(C, { deadLetters: [{ ...dl, reason: 'unknown_channel' }] });
      const open = await store.listDeadLetters({ status: 'open' });
      expect(open).toHaveLength(2);
      expect(open[0]).toMatchObject({ recordKey: 'WT1', reason: 'malformed_attributes', error: 'again', status: 'open' });
      expect(await store.deadLetterCounts()).toEqual({ malformed_attributes: 1, unknown_channel: 1 });
      await store.setDeadLetterStatus(open[0]!.id, 'discarded');
      await store.commit(C, { deadLetters: [dl] });
      expect(await store.deadLetterCounts()).toEqual({ malformed_attributes: 1, unknown_channel: 1 });
      expect(await store.listDeadLetters()).toHaveLength(3);
      expect((await store.getDeadLetter(open[0]!.id))?.status).toBe('discarded');

      await store.commit(C, { outbox: [event('E1')] });
      const [row] = await store.claimOutbox({ workerId: 'w', limit: 1, leaseMs: 1000, nowMs: T0 });
      await store.deadLetterOutbox(row!.id, { source: 'brevo', reason: 'brevo_rejected', recordKey: 'E1', payload: row!.payload, error: '400 bad' });
      expect(await store.outboxStats()).toMatchObject({ dead: 1, inflight: 0 });
      const [letter] = await store.listDeadLetters({ status: 'open', afterId: open[1]!.id + 1 });
      expect(letter).toMatchObject({ source: 'brevo', reason: 'brevo_rejected', recordKey: 'E1' });
      await store.setDeadLetterStatus(letter!.id, 'replayed');
      expect(await store.claimOutbox({ workerId: 'w', limit: 1, leaseMs: 1000, nowMs: T0 + 1 })).toMatchObject([{ key: 'E1', attempts: 1 }]);
    });
  });
}
