import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Store } from '../store/store.js';
import type { InboxInput } from '../store/types.js';
import { IngestBatcher } from './ingestBatcher.js';
import { inboxItems, tempStore } from './test-helpers/fixtures.js';

let store: Store;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
});
afterEach(async () => cleanup());

const item = (key: string): InboxInput => ({ key, source: 'taskrouter', payload: { key } });

it('concurrent deliveries share one durable commit; duplicates are attributed to the later caller', async () => {
  let commits = 0;
  const counting = { ingest: (items: InboxInput[]) => ((commits += 1), store.ingest(items)) };
  const b = new IngestBatcher(counting);
  const calls = Array.from({ length: 50 }, (_, i) => b.ingest([item(`k${i % 40}`), item(`x${i}`)]));
  const results = await Promise.all(calls);
  expect(commits).toBeLessThanOrEqual(2);
  expect(results.reduce((s, r) => s + r.accepted, 0)).toBe(40 + 50);
  expect(results.reduce((s, r) => s + r.duplicates, 0)).toBe(10);
  expect(results.slice(40).every((r) => r.accepted === 1 && r.duplicates === 1)).toBe(true);
  expect(await inboxItems(store)).toHaveLength(90);
});

it('a failed commit rejects every caller in it; the next group commits', async () => {
  const b = new IngestBatcher(store);
  await store.close();
  const failed = await Promise.allSettled([b.ingest([item('a')]), b.ingest([item('b')])]);
  expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
});

it('a delivery the store refuses fails alone: the others of its group are committed', async () => {
  const calls: string[][] = [];
  const picky = {
    ingest: (items: InboxInput[]) => {
      calls.push(items.map((i) => i.key));
      return items.some((i) => i.key === 'bad') ? Promise.reject(new Error('refused')) : store.ingest(items);
    },
  };
  const b = new IngestBatcher(picky);
  const settled = await Promise.allSettled([b.ingest([item('a')]), b.ingest([item('bad'), item('c')]), b.ingest([item('d')])]);
  expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect(calls[0]).toEqual(['a', 'bad', 'c', 'd']);
  expect((await inboxItems(store)).map((i) => i.key).sort()).toEqual(['a', 'd']);
});

it('hands a self-grouping store each delivery at once, before the previous commit answered; other stores get one commit at a time', async () => {
  for (const groups of [true, false]) {
    const started: number[] = [];
    const release: (() => void)[] = [];
    const gated = {
      ingestGroupsCommits: groups,
      ingest: async (items: InboxInput[]) => {
        started.push(items.length);
        await new Promise<void>((r) => release.push(r));
        return store.ingest(items);
      },
    };
    const b = new IngestBatcher(gated);
    const first = b.ingest([item(`${groups}-a`)]);
    await new Promise((r) => setImmediate(r));
    const second = b.ingest([item(`${groups}-b`), item(`${groups}-c`)]);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    // a self-grouping store already has the second group; otherwise it waits for the first commit
    expect(started).toEqual(groups ? [1, 2] : [1]);
    release.shift()?.();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([1, 2]);
    release.shift()?.();
    expect(await second).toEqual({ accepted: 2, duplicates: 0 });
  }
});
