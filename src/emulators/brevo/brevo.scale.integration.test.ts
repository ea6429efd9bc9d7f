import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrevo, type Started } from './test-helpers/server.js';

/** ~10k contacts and ~60k events must stay fast: every lookup is indexed, nothing scans per request. */
describe('Brevo emulator at scale', () => {
  let s: Started;
  beforeAll(async () => {
    s = await startBrevo({ importDelayMs: 0, limits: { enabled: false } });
  });
  afterAll(() => s.close());

  it('imports 10k contacts, takes 60k events, and per-request cost does not grow', async () => {
    const t0 = Date.now();
    await s.call('POST', '/contacts/attributes/normal/SUPPORT_TICKET_COUNT', { type: 'float' });
    await s.call('POST', '/contacts/lists', { name: 'support_contacts', folderId: 1 });
    const jsonBody = Array.from({ length: 10_000 }, (_, i) => ({
      email: `c${i}@example.com`,
      attributes: { EXT_ID: `cust-${i}`, SMS: `+1415555${String(i).padStart(4, '0')}`, SUPPORT_TICKET_COUNT: i % 7 },
    }));
    expect((await s.call('POST', '/contacts/import', { jsonBody, listIds: [1] })).status).toBe(202);
    await s.emu.settle();
    expect(s.emu.state().contacts).toHaveLength(10_000);
    const tImport = Date.now() - t0;

    const t1 = Date.now();
    for (let b = 0; b < 300; b++) {
      const events = Array.from({ length: 200 }, (_, j) => {
        const i = (b * 200 + j) % 10_000;
        return {
          event_name: 'SUPPORT_REQUESTED',
          identifiers: { ext_id: `cust-${i}`, email_id: `c${i}@example.com` },
          event_date: '2026-01-04T10:00:00.000Z',
          event_properties: { tajo_id: `SUPPORT_REQUESTED:WT${b}-${j}`, channel: 'voice', wait_seconds: 3.5 },
        };
      });
      const r = await s.call('POST', '/events/batch', { events });
      expect(r.status).toBe(202);
    }
    const tEvents = Date.now() - t1;

    // single requests against the full account
    const t2 = Date.now();
    for (let i = 0; i < 100; i++) {
      expect((await s.call('GET', `/contacts/cust-${i * 97}?identifierType=ext_id`)).status).toBe(200);
      expect((await s.call('PUT', `/contacts/%2B1415555${String(i).padStart(4, '0')}?identifierType=phone_id`, { attributes: { SUPPORT_TICKET_COUNT: 9 } })).status).toBe(204);
      expect((await s.call('POST', '/events', { event_name: 'CSAT_SUBMITTED', identifiers: { email_id: `c${i}@example.com` } })).status).toBe(204);
    }
    const perRequest = (Date.now() - t2) / 300;

    const st = s.emu.state();
    expect(st.events).toHaveLength(60_100);
    expect(st.contacts).toHaveLength(10_000);
    console.log(`scale: import 10k ${tImport} ms, 60k batch events ${tEvents} ms, ${perRequest.toFixed(1)} ms/request at scale`);
    expect(tImport).toBeLessThan(15_000);
    expect(tEvents).toBeLessThan(40_000);
    expect(perRequest).toBeLessThan(50);
  });
});
