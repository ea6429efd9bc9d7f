import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { silentLogger } from '../../core/logger.js';
import type { GroundTruth } from '../../emulators/index.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { TwilioClient, twilioBaseUrls, twilioCredentials } from '../../sources/twilio/client.js';
import { budgetsForTwilio } from '../budget.js';
import type { ContactPayload } from '../derive/contact.js';
import type { BrevoEventItem } from '../derive/events.js';
import { expectedContact, observableDate, sortKeys } from '../sync/test-helpers/compare.js';
import { startHarness, type Harness } from '../sync/test-helpers/harness.js';
import type { InboxProcessor } from './inboxProcessor.js';
import { createInboxProcessor } from './live.js';

/**
 * The real-time path end to end: the Twilio emulator pushes its whole world as signed Event Streams batches, with
 * 30% duplicates and shuffled order, to a listening `tajo serve`; the inbox processor derives it with the sync
 * engine's planner (`createInboxProcessor`, driven by `startServer` as `tajo serve` does). The outbox must hold exactly the ground truth (what an in-order, duplicate-free run yields),
 * and a full polling sync afterwards adds nothing (webhooks and polling share keys).
 */
const BASIC = { user: 'sink', pass: 'e2e-pass' };
const eventKey = (name: string, extId: string, sid: string, date: string) => `${name}|${extId}|${sid}|${date}`;

let h: Harness;
let server: RunningServer;
let processor: InboxProcessor;
let truth: GroundTruth;

beforeAll(async () => {
  h = await startHarness();
  truth = h.emulator.truth();
  const i = h.emulator.info;
  const now = () => h.emulator.clock.nowMs();
  const s = h.connector.settings;
  const client = new TwilioClient({
    baseUrls: twilioBaseUrls(s.baseUrls, h.config.base_urls), credentials: twilioCredentials(s, { authToken: i.authToken }), budgets: budgetsForTwilio(i.workspaceSid, 10),
    logger: silentLogger(), logApiCalls: false, priority: 0, timeScale: 50,
  });
  processor = await createInboxProcessor({
    store: h.store, connectorId: h.connector.id, config: h.config, lists: h.lists, logger: silentLogger(), client, workspaceSid: s.workspaceSid,
    now, processor: { leaseMs: 300, maxDeferMs: 4000, pollMs: 200 },
  });
  server = await startServer({
    store: h.store,
    config: ConfigSchema.parse({ server: { sink_basic_auth: BASIC, plugin_auth: 'hmac', plugin_hmac_secret: 'x'.repeat(20) } }),
    logger: silentLogger(),
    twilioAuthToken: i.authToken,
    accountSid: i.accountSid,
    host: '127.0.0.1',
    port: 0,
    inboxProcessor: processor,
  });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await h?.close();
});

/** Runs the processor (beside the server's own background loop) until every inbox item was processed. */
async function drainInbox(expected: number): Promise<number> {
  const deadline = Date.now() + 90_000;
  let processed = 0;
  while (Date.now() < deadline) {
    await processor.runOnce();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    processed = Number(/tajo_inbox_processed_total\{result="processed"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    if (processed >= expected) return processed;
    await new Promise((res) => setTimeout(res, 200));
  }
  return processed;
}

describe('webhooks end to end (emulator push → server → inbox → derivation → outbox)', () => {
  it('30% duplicated, shuffled Event Streams deliveries give exactly the ground truth', async () => {
    // repeats of a delivery not claimed yet are stored and dropped by the claim (SQLite): count those
    let droppedAtClaim = 0;
    const off = processor.subscribe((r) => (droppedAtClaim += r.duplicates['event-streams'] ?? 0));
    const push = await h.emulator.twilio.push({
      kind: 'event-streams', url: `${server.url}/webhooks/twilio/event-streams`, since: '1970-01-01T00:00:00Z', duplicateRate: 0.3, shuffle: true, seed: 9, batchSize: 50, concurrency: 4, basicAuth: BASIC,
    });
    expect(push.failures).toBe(0);
    expect(push.duplicates).toBeGreaterThan(0);
    // the server's background processor and this loop share the work (claims are leased)
    expect(await drainInbox(push.events)).toBe(push.events);
    off();
    // every event stored at the acknowledgement was processed once or dropped as a repeat, and counted as deduped
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const metric = (name: string) => Number(new RegExp(`${name}\\{route="event-streams"\\} (\\d+)`).exec(metrics)?.[1] ?? NaN);
    expect(metric('tajo_webhook_accepted_total')).toBe(push.events + droppedAtClaim);
    expect(metric('tajo_webhook_deduped_total')).toBeGreaterThanOrEqual(droppedAtClaim);

    const items = await h.drainOutbox();
    expect(items.every((o) => o.priority === 0)).toBe(true);
    const contacts = new Map(items.filter((o) => o.kind === 'contact').map((o) => [(o.payload as ContactPayload).ext_id, o.payload as ContactPayload]));
    const events = items.filter((o) => o.kind === 'event').map((o) => o.payload as BrevoEventItem);

    const want = new Map(truth.contacts.map((c) => [c.ext_id, expectedContact(c, h.lists)]));
    expect({ missing: [...want.keys()].filter((k) => !contacts.has(k)), extra: [...contacts.keys()].filter((k) => !want.has(k)) }).toEqual({ missing: [], extra: [] });
    const wrong = [...want].filter(([k, c]) => JSON.stringify(sortKeys(contacts.get(k))) !== JSON.stringify(sortKeys(c))).map(([k, c]) => ({ want: c, got: contacts.get(k) }));
    expect(wrong.slice(0, 3)).toEqual([]);

    // Messaging CONVERSATION_ENDED: exact when the close webhook came first, else the REST API's second (see compare.ts)
    const observable = (name: string, date: string, channel: unknown) => observableDate({ name, event_date: date, properties: { channel } });
    const got = events.map((e) => eventKey(e.event_name, e.identifiers.ext_id, String(e.event_properties.tajo_id).split(':')[1] ?? '', observable(e.event_name, e.event_date, e.event_properties.channel))).sort();
    const exp = truth.events.map((e) => eventKey(e.name, e.ext_id, e.source_sid, observableDate(e))).sort();
    expect({ extra: got.filter((k) => !exp.includes(k)).slice(0, 5), missing: exp.filter((k) => !got.includes(k)).slice(0, 5) }).toEqual({ extra: [], missing: [] });
    expect(got.length).toBe(exp.length);
    const byTajo = new Map(events.map((e) => [String(e.event_properties.tajo_id), e]));
    const propDiffs = truth.events
      .map((t) => ({ t, g: byTajo.get(`${t.name}:${t.source_sid}`) }))
      .filter(({ t, g }) => JSON.stringify(sortKeys(g?.event_properties)) !== JSON.stringify(sortKeys(t.properties)) || g?.identifiers.email_id !== t.email_id)
      .map(({ t, g }) => ({ want: t.properties, got: g?.event_properties }));
    expect(propDiffs.slice(0, 3)).toEqual([]);

    const letters = (await h.store.listDeadLetters({ limit: 1000 })).map((d) => `${d.recordKey}:${d.reason}`).sort();
    expect(letters).toEqual(truth.deadLetters.map((d) => `${d.source_sid}:${d.reason}`).sort());
  });

  it('a full polling sync afterwards sends nothing again', async () => {
    const report = await h.sync({ type: 'full' });
    expect(report.status, report.statusReason).toBe('ok');
    expect(report.outbox).toMatchObject({ contact: 0, event: 0 });
  });
});
