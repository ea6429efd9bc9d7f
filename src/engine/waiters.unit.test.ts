import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleep } from './http.js';
import { grant, onAbort, rejectAll, waitInQueue, type Waiter } from './waiters.js';

describe('rate budget wait queue', () => {
  it('orders live (0) before backfill (1), first come first served within a priority', async () => {
    const q: Waiter[] = [];
    const order: string[] = [];
    const enqueue = (name: string, priority: 0 | 1) => void waitInQueue(q, { priority }, 0, () => undefined).then(() => order.push(name));
    enqueue('b1', 1);
    enqueue('l1', 0);
    enqueue('b2', 1);
    enqueue('l2', 0);
    while (q.length > 0) grant(q.shift()!, 5);
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['l1', 'l2', 'b1', 'b2']);
  });

  it('resolves with the ms waited, never negative', async () => {
    const q: Waiter[] = [];
    const a = waitInQueue(q, {}, 100, () => undefined);
    const b = waitInQueue(q, {}, 100, () => undefined);
    expect(grant(q.shift()!, 130)).toBe(30);
    expect(grant(q.shift()!, 90)).toBe(0);
    await expect(a).resolves.toBe(30);
    await expect(b).resolves.toBe(0);
  });

  it('an abort takes the waiter out with the signal reason and calls afterAbort; an aborted signal never queues', async () => {
    const q: Waiter[] = [];
    const ac = new AbortController();
    let after = 0;
    let woken = 0;
    const p = waitInQueue(q, { signal: ac.signal }, 0, () => woken++, () => after++);
    const other = waitInQueue(q, {}, 0, () => woken++);
    expect(q).toHaveLength(2);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(q).toHaveLength(1);
    expect(after).toBe(1);
    grant(q.shift()!, 0);
    await expect(other).resolves.toBe(0);
    await expect(waitInQueue(q, { signal: ac.signal }, 0, () => woken++)).rejects.toThrow('stop');
    expect(q).toHaveLength(0);
    expect(woken).toBe(2);
  });

  it('rejectAll empties the queue, and a later abort of a rejected waiter changes nothing', async () => {
    const q: Waiter[] = [];
    const ac = new AbortController();
    const a = waitInQueue(q, { signal: ac.signal }, 0, () => undefined, () => expect.unreachable('abort after rejectAll'));
    const b = waitInQueue(q, {}, 0, () => undefined);
    rejectAll(q, new Error('closed'));
    await expect(a).rejects.toThrow('closed');
    await expect(b).rejects.toThrow('closed');
    expect(q).toHaveLength(0);
    ac.abort();
  });

  it('many waiters on one signal share one abort listener (no MaxListenersExceededWarning), removed with the last', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const q: Waiter[] = [];
      const ac = new AbortController();
      const waits = Array.from({ length: 50 }, () => waitInQueue(q, { signal: ac.signal }, 0, () => undefined));
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
      for (let i = 0; i < 20; i++) grant(q.shift()!, 1);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
      ac.abort(new Error('stop'));
      const results = await Promise.allSettled(waits);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
      expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.message)).toEqual(Array(30).fill('stop'));
      expect(q).toHaveLength(0);
      // all granted: the listener goes with the last waiter
      const other = new AbortController();
      const more = Array.from({ length: 12 }, () => waitInQueue(q, { signal: other.signal }, 0, () => undefined));
      while (q.length) grant(q.shift()!, 1);
      await Promise.all(more);
      expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('onAbort: many subscribers, one listener; each runs once on abort; unsubscribed ones do not; http sleeps share it', async () => {
    const ac = new AbortController();
    const ran: number[] = [];
    const offs = Array.from({ length: 30 }, (_, i) => onAbort(ac.signal, () => ran.push(i)));
    const sleeps = Array.from({ length: 30 }, () => sleep(60_000, ac.signal));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    for (const off of offs.slice(0, 10)) off();
    ac.abort(new Error('stop'));
    expect(ran).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
    await expect(Promise.allSettled(sleeps)).resolves.toSatisfy((rs: PromiseSettledResult<void>[]) => rs.every((r) => r.status === 'rejected'));
    const other = new AbortController();
    await Promise.all(Array.from({ length: 15 }, () => sleep(5, other.signal)));
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
  });
});
