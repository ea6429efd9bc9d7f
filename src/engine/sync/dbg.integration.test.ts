import { it } from 'vitest';
import { startHarness } from './test-helpers/harness.js';
it('reference scale profile', async () => {
  const h = await startHarness({ scale: 'reference', timeScale: 1 });
  const times: Record<string, { n: number; ms: number }> = {};
  const store = h.store as unknown as Record<string, unknown>;
  for (const name of ['commit', 'rawEventsForTasks', 'getInteractions', 'interactionsForCustomers', 'surveysForCustomers', 'getCustomers', 'getCheckpoint', 'listInteractions']) {
    const orig = (store[name] as (...a: unknown[]) => Promise<unknown>).bind(h.store);
    store[name] = async (...a: unknown[]) => { const t = performance.now(); try { return await orig(...a); } finally { const e = (times[name] ??= { n: 0, ms: 0 }); e.n++; e.ms += performance.now() - t; } };
  }
  const origFetch = globalThis.fetch;
  globalThis.fetch = async (...a: Parameters<typeof fetch>) => { const t = performance.now(); try { return await origFetch(...a); } finally { const k = String(a[0]).includes('/Events') ? 'fetch events' : String(a[0]).includes('/conversations') ? 'fetch conv' : 'fetch other'; const e = (times[k] ??= { n: 0, ms: 0 }); e.n++; e.ms += performance.now() - t; } };
  const t1 = Date.now();
  await h.sync({ type: 'full' });
  console.log('first', Date.now() - t1, JSON.stringify(times, null, 0));
  for (const k of Object.keys(times)) delete times[k];
  const t2 = Date.now();
  await h.sync({ type: 'full' });
  console.log('second', Date.now() - t2, JSON.stringify(times, null, 0));
  globalThis.fetch = origFetch;
  await h.close();
}, 900_000);
