/**
 * `message_bodies` end to end: Twilio emulator → sync → outbox → DeliveryWorker → Brevo emulator. The expected bodies
 * are read from the emulator world's own tables (messages of the conversation whose author is not an agent), not
 * from connector code; one customer message is replaced by one with an e-mail address and a phone number first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { BrevoState } from '../../emulators/brevo/index.js';
import { ensureAttributes, ensureList, wantedAttributes } from '../../sinks/brevo/bootstrap.js';
import { BrevoClient } from '../../sinks/brevo/client.js';
import { budgetsForBrevo } from '../budget.js';
import { DeliveryWorker } from '../deliver/worker.js';
import { TwilioFlexConfigSchema } from '../../config/schema.js';
import { latestSnapshot } from '../derive/conversation.js';
import { ELLIPSIS, truncateBody } from '../derive/messageBodies.js';
import { LISTS, startHarness, type Harness } from './test-helpers/harness.js';

const SCALE = 50;
const MAX_CHARS = 30;
const PII_BODY = 'Tel +18085550142 or jd@ex.io, my order is late';
/** PII_BODY masked (as the logger masks) and cut after 30 characters, written out by hand. */
const PII_TRUNCATED = `Tel +1808•••0142 or j•••@ex.io${ELLIPSIS}`;
/** A small world: enough sms, whatsapp and web chat conversations, quick to sync and deliver. */
const WORLD = { seed: 11, generator: { interactions: 90, customers: 60 } };

interface WorldMessage { conversation_sid: string; author: string; body: string | null }
type BrevoEvent = BrevoState['events'][number];

async function start(config: Record<string, unknown>): Promise<{ h: Harness; worker: DeliveryWorker }> {
  const h = await startHarness(WORLD, config);
  const brevo = new BrevoClient({ baseUrl: h.emulator.info.brevo, apiKey: h.emulator.info.brevoApiKey, budgets: budgetsForBrevo(SCALE), timeScale: SCALE, logger: silentLogger() });
  await ensureAttributes(brevo, wantedAttributes([...Object.values(h.config.field_mapping), 'WHATSAPP']));
  h.lists = { support_contacts: await ensureList(brevo, 'Support contacts'), csat_respondents: await ensureList(brevo, 'CSAT respondents') };
  const worker = new DeliveryWorker({ store: h.store, brevo, workerId: 'bodies', logger: silentLogger(), timeScale: SCALE, connectorId: h.connector.id, idleMs: 20 });
  return { h, worker };
}

/** The first customer message of a closed sms conversation of a completed task gets PII_BODY (before any sync reads it). */
function plantPii(h: Harness): string {
  const row = h.emulator.world.prepare(`
    SELECT m.sid, m.conversation_sid FROM messages m JOIN participants p ON p.sid = m.participant_sid JOIN conversations c ON c.sid = m.conversation_sid
    WHERE p.messaging_binding LIKE '%"sms"%' AND c.date_closed_ms IS NOT NULL
      AND EXISTS (SELECT 1 FROM tasks t WHERE t.assignment_status = 'completed' AND t.attributes LIKE '%"conversationSid":"' || c.sid || '"%')
    ORDER BY m.conversation_sid, m.idx LIMIT 1`).get() as { sid: string; conversation_sid: string } | undefined;
  if (!row) throw new Error('the world has no closed sms conversation');
  h.emulator.world.prepare('UPDATE messages SET body = ? WHERE sid = ?').run(PII_BODY, row.sid);
  return row.conversation_sid;
}

/** Customer messages per conversation, oldest first: authors that are not agents (worker identities). */
function customerMessages(h: Harness): Map<string, string[]> {
  const agents = new Set((h.emulator.world.prepare('SELECT friendly_name FROM workers').all() as { friendly_name: string }[]).map((w) => w.friendly_name));
  const out = new Map<string, string[]>();
  for (const m of h.emulator.world.prepare('SELECT conversation_sid, author, body FROM messages ORDER BY conversation_sid, idx').all() as WorldMessage[]) {
    if (agents.has(m.author) || m.author === 'system' || !m.body?.trim()) continue;
    out.set(m.conversation_sid, [...(out.get(m.conversation_sid) ?? []), m.body]);
  }
  return out;
}

const brevoState = async (h: Harness): Promise<BrevoState> => (await (await fetch(`${h.emulator.url}${h.emulator.brevo.inspectPrefix}/state`)).json()) as BrevoState;

async function syncAndDeliver(h: Harness, worker: DeliveryWorker): Promise<void> {
  const r = await h.sync({ type: 'full' });
  expect(r.status, r.statusReason).toBe('ok');
  expect(await worker.drain({ until: 'empty', maxMs: 120_000 })).toMatchObject({ dead: 0, paused: false, timedOut: false });
}

/** Successful Conversations Messages page reads the emulator answered. */
function messagePages(h: Harness): number {
  return Object.entries(h.emulator.twilio.requestLog())
    .filter(([k]) => /Messages/.test(k))
    .reduce((n, [, v]) => n + (v.statuses['200'] ?? 0), 0);
}

const ended = (s: BrevoState): BrevoEvent[] => s.events.filter((e) => e.event_name === 'CONVERSATION_ENDED');

describe('message_bodies against the emulators', () => {
  const started: Harness[] = [];
  afterAll(async () => {
    for (const h of started) await h.close();
  });

  describe('truncated', () => {
    let h: Harness;
    let worker: DeliveryWorker;
    let piiConversation: string;
    beforeAll(async () => {
      ({ h, worker } = await start({ message_bodies: 'truncated', message_body_max_chars: MAX_CHARS }));
      started.push(h);
      piiConversation = plantPii(h);
      await syncAndDeliver(h, worker);
    });

    it('every messaging CONVERSATION_ENDED carries the masked, cut first and last customer bodies of the world', async () => {
      const s = await brevoState(h);
      const world = customerMessages(h);
      const messaging = ended(s).filter((e) => e.event_properties?.channel !== 'voice');
      const channels = new Set(messaging.map((e) => e.event_properties?.channel));
      expect([...channels].sort()).toEqual(['sms', 'webchat', 'whatsapp']);
      const wrong: unknown[] = [];
      for (const e of messaging) {
        const p = e.event_properties ?? {};
        const bodies = world.get(String(p.conversation_sid)) ?? [];
        const want = bodies.length
          ? { first: truncateBody(bodies[0] ?? '', MAX_CHARS), last: truncateBody(bodies[bodies.length - 1] ?? '', MAX_CHARS) }
          : { first: undefined, last: undefined };
        const have = { first: p.first_customer_message, last: p.last_customer_message };
        if (JSON.stringify(have) !== JSON.stringify(want)) wrong.push({ conversation: p.conversation_sid, want, have });
      }
      expect(wrong.slice(0, 3)).toEqual([]);
      const firsts = messaging.map((e) => e.event_properties?.first_customer_message).filter((b): b is string => typeof b === 'string');
      expect(firsts.length).toBeGreaterThan(10);
      expect(firsts.filter((b) => b.endsWith(ELLIPSIS)).length).toBeGreaterThan(3);

      // The planted message, by hand: e-mail and phone masked as in logs, cut after 30 characters with an ellipsis.
      const pii = messaging.find((e) => e.event_properties?.conversation_sid === piiConversation);
      expect(pii?.event_properties?.first_customer_message).toBe(PII_TRUNCATED);
      expect(JSON.stringify(s)).not.toMatch(/jd@ex\.io|8085550142/);
      // Voice and the other events never carry a body.
      const others = s.events.filter((e) => e.event_name !== 'CONVERSATION_ENDED' || e.event_properties?.channel === 'voice');
      expect(others.filter((e) => 'first_customer_message' in (e.event_properties ?? {}) || 'last_customer_message' in (e.event_properties ?? {}))).toEqual([]);
    });

    it('a second full sync is a no-op (same snapshots, same tajo_ids: nothing new reaches Brevo)', async () => {
      const before = await brevoState(h);
      const r = await h.sync({ type: 'full' });
      expect(r.status, r.statusReason).toBe('ok');
      expect(r.outbox).toMatchObject({ contact: 0, event: 0 });
      await worker.drain({ until: 'empty', maxMs: 30_000 });
      const after = await brevoState(h);
      expect(after.events.length).toBe(before.events.length);
    });
  });

  describe('off (the default)', () => {
    let h: Harness;
    let worker: DeliveryWorker;
    beforeAll(async () => {
      ({ h, worker } = await start({}));
      started.push(h);
      plantPii(h);
      await syncAndDeliver(h, worker);
    });

    it('no event property contains any message body, and only sms/whatsapp Messages are read', async () => {
      const s = await brevoState(h);
      expect(ended(s).filter((e) => e.event_properties?.channel !== 'voice').length).toBeGreaterThan(10);
      const bodies = new Set((h.emulator.world.prepare('SELECT body FROM messages').all() as { body: string | null }[]).map((m) => m.body ?? '').filter((b) => b.length >= 8));
      const leaks: unknown[] = [];
      for (const e of s.events) {
        for (const [k, v] of Object.entries(e.event_properties ?? {})) {
          if (/message|body/i.test(k)) leaks.push({ event: e.event_name, key: k });
          const text = typeof v === 'string' ? v : JSON.stringify(v);
          for (const b of bodies) if (text.includes(b)) leaks.push({ event: e.event_name, key: k, body: b });
        }
      }
      expect(leaks.slice(0, 3)).toEqual([]);
      expect(JSON.stringify(s)).not.toMatch(/jd@ex\.io|8085550142/);

      // Messages are read only where STOP matters (sms/whatsapp, or a channel not known yet): never web chat only.
      const withBinding = h.emulator.world.prepare(`SELECT COUNT(DISTINCT conversation_sid) AS n FROM participants WHERE messaging_binding IS NOT NULL`).get() as { n: number };
      const unknownChannel = (await h.store.listDeadLetters({ limit: 1000 })).filter((d) => d.reason === 'unknown_channel').length;
      expect(messagePages(h)).toBeLessThanOrEqual(withBinding.n + unknownChannel);
    });
  });

  describe('switching off → truncated on a synced store', () => {
    it('reads the closed conversations once more for their bodies, keeps their close times, re-sends nothing, then is a no-op', async () => {
      const h = await startHarness(WORLD);
      started.push(h);
      expect((await h.sync({ type: 'full' })).status).toBe('ok');
      await h.drainOutbox();
      const closed = async () => (await h.store.listInteractions(h.connector.id, { limit: 1000 })).filter((r) => r.channel !== 'voice' && r.conversationClosedMs !== null);
      const before = new Map((await closed()).map((r) => [r.taskSid, r.conversationClosedMs]));
      expect(before.size).toBeGreaterThan(10);
      const snapshots = async () => {
        const events = await h.store.rawEventsForTasks(h.connector.id, [...before.keys()]);
        return [...before.keys()].map((t) => latestSnapshot(events.filter((e) => e.taskSid === t)));
      };
      expect((await snapshots()).filter((s) => s?.bodies !== undefined)).toEqual([]);

      const truncated = TwilioFlexConfigSchema.parse({ lists: LISTS, message_bodies: 'truncated' });
      const r = await h.sync({ type: 'full' }, truncated);
      expect(r.status, r.statusReason).toBe('ok');
      // CONVERSATION_ENDED of these tasks were enqueued already (tajo_id): switching the mode on does not re-send them.
      expect(r.outbox).toMatchObject({ contact: 0, event: 0 });
      expect((await snapshots()).filter((s) => s?.bodies === undefined)).toEqual([]);
      expect(new Map((await closed()).map((r) => [r.taskSid, r.conversationClosedMs]))).toEqual(before);

      const raw = (await h.store.counts(h.connector.id)).rawEvents;
      const again = await h.sync({ type: 'full' }, truncated);
      expect(again.outbox).toMatchObject({ contact: 0, event: 0 });
      expect((await h.store.counts(h.connector.id)).rawEvents).toBe(raw);
    });
  });
});
