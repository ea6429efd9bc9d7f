import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import type { Store } from '../store/store.js';
import { startServer, type RunningServer } from './app.js';
import { BASIC, claimAll, inboxItems, tempStore, testConfig } from './test-helpers/fixtures.js';

/**
 * The Twilio emulator pushes signed Event Streams batches, TaskRouter callbacks and Conversations webhooks at a
 * real listening server, with 30% duplicates and shuffled order: the inbox holds each event exactly once.
 */
let emu: RunningEmulator;
let server: RunningServer;
let store: Store;
let cleanup: () => Promise<void>;
let since: string;
let until: string;

beforeAll(async () => {
  emu = await startEmulator({ seed: 11, scale: 'small' });
  ({ store, cleanup } = await tempStore());
  server = await startServer({
    store, config: testConfig(), logger: silentLogger(), twilioAuthToken: emu.info.authToken, accountSid: emu.info.accountSid, host: '127.0.0.1', port: 0,
  });
  const range = emu.world.prepare('SELECT MAX(event_date_ms) AS b FROM events').get() as { b: number };
  since = new Date(range.b - 6 * 3_600_000).toISOString();
  until = new Date(emu.clock.nowMs()).toISOString();
}, 60_000);
afterAll(async () => {
  await server?.close();
  await emu?.close();
  await cleanup?.();
});

const count = (sql: string, ...p: unknown[]): number => (emu.world.prepare(sql).get(...p) as { c: number }).c;

describe('emulator push → inbox, each event once', () => {
  it('Event Streams (signed, Basic auth, batches, 30% duplicates, shuffled) then TaskRouter callbacks of the same events', async () => {
    const url = `${server.url}/webhooks/twilio/event-streams`;
    const es = await emu.twilio.push({ kind: 'event-streams', url, since, until, duplicateRate: 0.3, shuffle: true, seed: 3, batchSize: 25, concurrency: 8, basicAuth: BASIC });
    expect(es.failures).toBe(0);
    expect(es.duplicates).toBeGreaterThan(0);
    // a repeated CloudEvent is dropped at once or, when its first delivery was not claimed yet, flagged by the claim
    const claimed = await claimAll(store);
    const afterEs = claimed.filter((i) => !i.duplicate);
    expect(afterEs).toHaveLength(es.events);
    expect(new Set(afterEs.map((i) => i.key)).size).toBe(es.events);
    expect(afterEs.every((i) => i.source === 'event-streams')).toBe(true);
    const kept = new Set(afterEs.map((i) => i.key));
    expect(claimed.filter((i) => i.duplicate && !kept.has(i.key))).toEqual([]);

    const tr = await emu.twilio.push({ kind: 'taskrouter', url: `${server.url}/webhooks/twilio/taskrouter`, since, until, duplicateRate: 0.3, shuffle: true, seed: 4, concurrency: 16 });
    expect(tr.failures).toBe(0);
    expect(tr.duplicates).toBeGreaterThan(0);
    const trItems = await inboxItems(store);
    const taskRouterEvents = count('SELECT COUNT(*) AS c FROM events WHERE event_date_ms >= ? AND event_date_ms <= ?', Date.parse(since), Date.parse(until));
    expect(trItems).toHaveLength(taskRouterEvents);
    expect(new Set(trItems.map((i) => i.key)).size).toBe(taskRouterEvents);
    expect(trItems.every((i) => /^EV[0-9a-f]{32}$/.test(i.key))).toBe(true);
  });

  it('Conversations webhooks (signed forms, 30% duplicates, shuffled)', async () => {
    const cv = await emu.twilio.push({ kind: 'conversations', url: `${server.url}/webhooks/twilio/conversations`, since, until, duplicateRate: 0.3, shuffle: true, seed: 5, concurrency: 16 });
    expect(cv.failures).toBe(0);
    const items = await inboxItems(store);
    expect(items).toHaveLength(cv.events);
    expect(new Set(items.map((i) => i.key)).size).toBe(cv.events);
  });

  it('a delivery signed with another auth token is refused and never stored', async () => {
    const other = await startEmulator({ seed: 12, scale: 'small' });
    try {
      // the last hour of the other world's events (the hour before now can be empty: the world follows business hours)
      const last = (other.world.prepare('SELECT MAX(event_date_ms) AS b FROM events').get() as { b: number }).b;
      const window = { since: new Date(last - 3_600_000).toISOString(), until: new Date(last + 1).toISOString() };
      const bad = await other.twilio.push({ kind: 'taskrouter', url: `${server.url}/webhooks/twilio/taskrouter`, ...window, maxRetries: 0, concurrency: 8 });
      expect(bad.events).toBeGreaterThan(0);
      expect(bad.sent).toBe(0);
      expect(bad.failures).toBe(bad.events);
      expect(await inboxItems(store)).toHaveLength(0);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/tajo_webhook_rejected_total\{route="taskrouter",reason="TAJO_WEBHOOK_SIGNATURE_INVALID"\} [1-9]/);
    } finally {
      await other.close();
    }
  });
});
