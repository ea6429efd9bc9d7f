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
