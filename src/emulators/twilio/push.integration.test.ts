import { createServer, type IncomingMessage, type Server } from 'node:http';
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { bodySha256Hex, computeSignature } from './signature.js';
import { startTestServer, type TestServer } from './test-helpers/testServer.js';
import type { PushSummary } from './types.js';

interface Received { url: string; headers: IncomingMessage['headers']; body: string }

/** A tiny webhook receiver; answers 500 to the first `failFirst` requests. */
async function receiver(failFirst = 0): Promise<{ url: string; got: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      n += 1;
      if (n <= failFirst) {
        res.statusCode = 500;
        res.end();
        return;
      }
      got.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, got, close: () => new Promise((r) => server.close(() => r())) };
}

let s: TestServer | undefined;
let rx: Awaited<ReturnType<typeof receiver>> | undefined;
afterEach(async () => {
  await s?.close();
  await rx?.close();
  s = undefined;
  rx = undefined;
});

async function push(t: TestServer, body: Record<string, unknown>): Promise<PushSummary> {
  const res = await fetch(`${t.url}/_emulator/twilio/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as PushSummary;
}

const HOUR = 3600_000;

describe('webhook push', () => {
  it('Event Streams: CloudEvents arrays, bodySHA256 signature, Basic auth, every event once', async () => {
    s = await startTestServer();
    rx = await receiver();
    const since = new Date(s.clock.nowMs() - 2 * HOUR).toISOString();
    const summary = await push(s, { kind: 'event-streams', url: `${rx.url}/sink?x=1`, since, batchSize: 10, basicAuth: { user: 'u', pass: 'p' } });
    const trCount = (s.fixture.db.prepare('SELECT COUNT(*) AS n FROM events WHERE event_date_ms >= ? AND event_date_ms <= ?').get(Date.parse(since), s.clock.nowMs()) as { n: number }).n;
    expect(summary.events).toBeGreaterThan(trCount);
    expect(summary).toMatchObject({ sent: Math.ceil(summary.events / 10), duplicates: 0, failures: 0, retries: 0 });
    const ids: string[] = [];
    for (const r of rx.got) {
      const full = `${rx.url}${r.url}`;
      expect(new URL(full).searchParams.get('bodySHA256')).toBe(bodySha256Hex(r.body));
      const sig = String(r.headers['x-twilio-signature']);
      expect(sig).toBe(computeSignature(s.creds.authToken, full, {}));
      expect(twilio.validateRequestWithBody(s.creds.authToken, sig, full, r.body)).toBe(true);
      expect(r.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
      expect(r.headers['content-type']).toContain('application/json');
      const batch = JSON.parse(r.body) as Record<string, unknown>[];
      for (const ev of batch) {
        expect(ev).toMatchObject({ specversion: '1.0', datacontenttype: 'application/json' });
        expect(String(ev.type)).toMatch(/^com\.twilio\.(taskrouter|conversations)\./);
        expect(Date.parse(String(ev.time))).not.toBeNaN();
        ids.push(String(ev.id));
      }
    }
    expect(ids.length).toBe(summary.events);
    expect(new Set(ids).size).toBe(ids.length);
    const first = JSON.parse(rx.got[0]?.body ?? '[]') as { type: string; data: { payload?: Record<string, unknown> } }[];
    const tr = first.find((e) => e.type.startsWith('com.twilio.taskrouter.'));
    expect(tr?.data.payload).toMatchObject({ workspace_sid: s.fixture.workspaceSid });
    expect(typeof tr?.data.payload?.task_attributes).toBe('string');
    // Stable ids: a second push of the same window sends the same ids.
    const again = await push(s, { kind: 'event-streams', url: `${rx.url}/sink`, since, batchSize: 1000 });
    const ids2 = (JSON.parse(rx.got[rx.got.length - 1]?.body ?? '[]') as { id: string }[]).map((e) => e.id);
    expect(again.sent).toBe(1);
    expect(ids2.sort()).toEqual([...ids].sort());
  });

  it('TaskRouter callbacks: form fields signed with URL + sorted params; retries after failures', async () => {
    s = await startTestServer();
    rx = await receiver(3);
    const since = new Date(s.clock.nowMs() - HOUR).toISOString();
    const summary = await push(s, { kind: 'taskrouter', url: `${rx.url}/tr`, since });
    expect(summary.failures).toBe(0);
    expect(summary.retries).toBe(3);
    expect(summary.sent).toBe(summary.events);
    expect(rx.got.length).toBe(summary.events);
    for (const r of rx.got) {
      const params = Object.fromEntries(new URLSearchParams(r.body));
      const sig = String(r.headers['x-twilio-signature']);
      expect(twilio.validateRequest(s.creds.authToken, sig, `${rx.url}${r.url}`, params)).toBe(true);
      expect(params).toMatchObject({ AccountSid: s.creds.accountSid, WorkspaceSid: s.fixture.workspaceSid });
      expect(params.EventType).toBeTruthy();
      expect(params.Sid).toMatch(/^EV/);
      if (params.EventType === 'task.created') {
        expect(params.TaskSid).toMatch(/^WT/);
        expect(JSON.parse(params.TaskAttributes ?? '') as Record<string, unknown>).toHaveProperty('from');
        expect(params.TaskChannelUniqueName).toMatch(/voice|chat/);
      }
    }
    // Chronological without shuffle.
    const ts = rx.got.map((r) => Number(new URLSearchParams(r.body).get('Timestamp')));
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
  });

  it('Conversations webhooks: post-event form fields; duplicates and shuffle are counted', async () => {
    s = await startTestServer();
    rx = await receiver();
    const since = new Date(s.clock.nowMs() - 2 * HOUR).toISOString();
    const summary = await push(s, { kind: 'conversations', url: `${rx.url}/conv`, since, duplicateRate: 0.5, shuffle: true, seed: 42, concurrency: 4 });
    expect(summary.duplicates).toBeGreaterThan(0);
    expect(rx.got.length).toBe(summary.sent + summary.duplicates);
    expect(summary.sent).toBe(summary.events);
    const types = new Map<string, number>();
    const keys = new Set<string>();
    for (const r of rx.got) {
      const p = Object.fromEntries(new URLSearchParams(r.body));
      expect(twilio.validateRequest(s.creds.authToken, String(r.headers['x-twilio-signature']), `${rx.url}${r.url}`, p)).toBe(true);
      types.set(p.EventType ?? '', (types.get(p.EventType ?? '') ?? 0) + 1);
      keys.add([p.EventType, p.MessageSid, p.ParticipantSid, p.StateTo, p.ConversationSid].join(':'));
      if (p.EventType === 'onMessageAdded') expect(p).toHaveProperty('Body');
      if (p.EventType === 'onConversationStateUpdated') expect(p).toMatchObject({ StateTo: expect.stringMatching(/inactive|closed/) as unknown });
    }
    expect(keys.size).toBe(summary.events);
    expect([...types.keys()].sort()).toEqual(['onConversationAdded', 'onConversationStateUpdated', 'onMessageAdded', 'onParticipantAdded']);
    const dates = rx.got.map((r) => new URLSearchParams(r.body).get('DateUpdated') ?? new URLSearchParams(r.body).get('DateCreated') ?? '');
    expect(dates).not.toEqual([...dates].sort());
  });

  it('unreachable receivers count failures after retries; bad requests are 400', async () => {
    s = await startTestServer();
    const summary = await push(s, { kind: 'taskrouter', url: 'http://127.0.0.1:9/none', since: new Date(s.clock.nowMs() - 5 * 60_000).toISOString(), maxRetries: 1 });
    expect(summary.failures).toBe(summary.events);
    expect(summary.retries).toBe(summary.events);
    const bad = await fetch(`${s.url}/_emulator/twilio/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'nope', url: 'http://x' }) });
    expect(bad.status).toBe(400);
  });
});

describe('Event Streams sinks stream in the background', () => {
  const form = async (t: TestServer, path: string, body: Record<string, string | string[]>): Promise<Record<string, unknown>> => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(body)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
    const res = await fetch(`${t.url}/events${path}`, { method: 'POST', headers: { authorization: t.auth, 'content-type': 'application/x-www-form-urlencoded' }, body: p.toString() });
    return (await res.json()) as Record<string, unknown>;
  };
  const until = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  };

  it('Test/Validate handshake, then subscribed types are delivered as the clock passes them', async () => {
    s = await startTestServer();
    rx = await receiver();
    const sink = await form(s, '/v1/Sinks', { Description: 'tajo', SinkType: 'webhook', SinkConfiguration: JSON.stringify({ destination: `${rx.url}/sink`, method: 'POST', batch_events: true }) });
    const dg = String(sink.sid);
    expect(await form(s, `/v1/Sinks/${dg}/Test`, {})).toEqual({ result: 'submitted' });
    await until(() => rx!.got.length > 0);
    const test = (JSON.parse(rx.got[0]?.body ?? '[]') as { type: string; data: { test_id: string } }[])[0];
    expect(test?.type).toBe('com.twilio.eventstreams.test-event');
    expect((await form(s, `/v1/Sinks/${dg}/Validate`, { TestId: 'wrong' })).result).toBe('invalid');
    await form(s, `/v1/Sinks/${dg}/Test`, {});
    await until(() => rx!.got.length > 1);
    const testId = (JSON.parse(rx.got[1]?.body ?? '[]') as { data: { test_id: string } }[])[0]?.data.test_id ?? '';
    expect((await form(s, `/v1/Sinks/${dg}/Validate`, { TestId: testId })).result).toBe('valid');
    const sub = await form(s, '/v1/Subscriptions', {
      Description: 'completions',
      SinkSid: dg,
      Types: [JSON.stringify({ type: 'com.twilio.taskrouter.task.completed', schema_version: 1 }), JSON.stringify({ type: 'com.twilio.taskrouter.reservation.completed', schema_version: 1 })],
    });
    expect(String(sub.sid)).toMatch(/^DF/);
    rx.got.length = 0;
    await s.twilio.streamTick();
    expect(rx.got).toHaveLength(0);
    s.clock.advance(6 * 60_000);
    await until(() => rx!.got.length > 0);
    await s.twilio.streamTick();
    const delivered = rx.got.flatMap((r) => {
      expect(twilio.validateRequestWithBody(s!.creds.authToken, String(r.headers['x-twilio-signature']), `${rx!.url}${r.url}`, r.body)).toBe(true);
      return JSON.parse(r.body) as { type: string; data: { payload: { task_sid: string } } }[];
    });
    expect(delivered.map((e) => e.type).sort()).toEqual(['com.twilio.taskrouter.reservation.completed', 'com.twilio.taskrouter.task.completed']);
    expect(delivered.every((e) => e.data.payload.task_sid === s!.fixture.inFlight)).toBe(true);
    // Nothing twice.
    s.twilio.rewindStreams(s.clock.nowMs() - 60 * 60_000);
    await s.twilio.streamTick();
    expect(rx.got.flatMap((r) => JSON.parse(r.body) as unknown[])).toHaveLength(2);
  });
});
