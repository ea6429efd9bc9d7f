import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { journalDirOf } from '../store/sqlite/inboxJournal.js';
import { readJournalRecords } from '../store/sqlite/journalRecord.js';
import type { SqliteStore } from '../store/sqlite/sqliteStore.js';
import type { Store } from '../store/store.js';
import { buildServer } from './app.js';
import { twilioFlexTokenValidator } from './auth/pluginAuth.js';
import {
  ACCOUNT_SID, AUTH_TOKEN, INJECT_ORIGIN, basicHeader, claimAll, cloudEvent, formBody, hmacHeader, inboxItems, sid, signForm, signJson, taskRouterParams,
  tempStore, testConfig,
} from './test-helpers/fixtures.js';

let store: Store;
let dir: string;
let cleanup: () => Promise<void>;
let app: FastifyInstance;

beforeEach(async () => {
  ({ store, dir, cleanup } = await tempStore());
  app = buildServer({ store, config: testConfig(), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID });
  await app.ready();
});
afterEach(async () => {
  await app.close();
  await cleanup();
});

const TR = '/webhooks/twilio/taskrouter';
const ES = '/webhooks/twilio/event-streams';
const CONV = '/webhooks/twilio/conversations';
const FLEX = '/webhooks/flex/task-complete';
const SURVEY = '/webhooks/flex/survey';

function postForm(path: string, params: Record<string, string | string[]>, signature?: string) {
  return app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
    payload: formBody(params),
  });
}

function postSignedJson(path: string, value: unknown, extra: Record<string, string> = {}) {
  const body = JSON.stringify(value);
  const signed = signJson(INJECT_ORIGIN, path, body);
  return app.inject({ method: 'POST', url: signed.path, headers: { 'content-type': 'application/json', 'x-twilio-signature': signed.signature, ...extra }, payload: body });
}

describe('POST /webhooks/twilio/taskrouter', () => {
  it('stores a signed callback once; a duplicate is acknowledged and dropped', async () => {
    const p = taskRouterParams(1);
    const sig = signForm(INJECT_ORIGIN + TR, p);
    const first = await postForm(TR, p, sig);
    expect(first.statusCode).toBe(204);
    expect(first.headers['content-type']).toContain('application/json');
    const again = await postForm(TR, p, sig);
    expect(again.statusCode).toBe(204);
    const items = await inboxItems(store);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ key: sid('EV', 1), source: 'taskrouter' });
    expect((items[0]!.payload as Record<string, unknown>).EventType).toBe('task.created');
  });

  it('is durable in the inbox journal at the acknowledgement, before any inbox row exists; the claim imports it', async () => {
    const p = taskRouterParams(4);
    expect((await postForm(TR, p, signForm(INJECT_ORIGIN + TR, p))).statusCode).toBe(204);
    const db = new Database(join(dir, 'tajo.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM inbox').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
    const jdir = journalDirOf(join(dir, 'tajo.db'));
    const recs = readdirSync(jdir).flatMap((f) => readJournalRecords(readFileSync(join(jdir, f))));
    expect(recs.map((r) => JSON.parse(r.header) as { s: string; k: string[] })).toEqual([expect.objectContaining({ s: 'taskrouter', k: [sid('EV', 4)] })]);
    expect((JSON.parse(recs[0]!.body.toString('utf8')) as Record<string, unknown>[])[0]).toMatchObject({ Sid: sid('EV', 4), EventType: 'task.created' });
    const items = await inboxItems(store);
    expect(items.map((i) => [i.key, i.source])).toEqual([[sid('EV', 4), 'taskrouter']]);
  });

  it('without Sid, dedupes on ResourceSid + EventType + Timestamp', async () => {
    const { Sid: _drop, ...p } = taskRouterParams(2);
    await postForm(TR, p, signForm(INJECT_ORIGIN + TR, p));
    await postForm(TR, p, signForm(INJECT_ORIGIN + TR, p));
    const items = await inboxItems(store);
    expect(items.map((i) => i.key)).toEqual([`${sid('WT', 2)}:task.created:${1_700_000_002}`]);
  });

  it('refuses a missing or bad signature with 403 and stores nothing', async () => {
    const p = taskRouterParams(3);
    const missing = await postForm(TR, p);
    expect(missing.statusCode).toBe(403);
    expect(missing.json()).toEqual({ error: { code: 'TAJO_WEBHOOK_SIGNATURE_MISSING', message: expect.any(String) } });
    const bad = await postForm(TR, p, signForm(INJECT_ORIGIN + TR, p, 'another-token'));
    expect(bad.statusCode).toBe(403);
    expect(bad.json().error.code).toBe('TAJO_WEBHOOK_SIGNATURE_INVALID');
    // a signature replayed onto a different body
    const replayed = await postForm(TR, { ...p, EventType: 'task.canceled' }, signForm(INJECT_ORIGIN + TR, p));
    expect(replayed.json().error.code).toBe('TAJO_WEBHOOK_SIGNATURE_INVALID');
    expect(await inboxItems(store)).toHaveLength(0);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/tajo_webhook_rejected_total\{route="taskrouter",reason="TAJO_WEBHOOK_SIGNATURE_INVALID"\} 2/);
    expect(metrics.body).toMatch(/tajo_webhook_rejected_total\{route="taskrouter",reason="TAJO_WEBHOOK_SIGNATURE_MISSING"\} 1/);
  });

  it('refuses every signature when no auth token is configured (an empty HMAC key is forgeable)', async () => {
    const noToken = buildServer({ store, config: testConfig(), logger: silentLogger(), twilioAuthToken: '', accountSid: ACCOUNT_SID });
    const p = taskRouterParams(5);
    const forged = await noToken.inject({ method: 'POST', url: TR, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(INJECT_ORIGIN + TR, p, '') }, payload: formBody(p) });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error.code).toBe('TAJO_WEBHOOK_SIGNATURE_INVALID');
    expect(await inboxItems(store)).toHaveLength(0);
    await noToken.close();
  });

  it('validates against server.public_url when configured (behind a proxy)', async () => {
    const proxied = buildServer({ store, config: testConfig({ public_url: 'https://tajo.example.com' }), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID });
    const p = taskRouterParams(4);
    const ok = await proxied.inject({ method: 'POST', url: TR, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(`https://tajo.example.com${TR}`, p) }, payload: formBody(p) });
    expect(ok.statusCode).toBe(204);
    const local = await proxied.inject({ method: 'POST', url: TR, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(INJECT_ORIGIN + TR, p) }, payload: formBody(p) });
    expect(local.statusCode).toBe(403);
    await proxied.close();
  });

  it('answers coded 4xx for a wrong content type, a malformed body, a huge body', async () => {
    const json = await app.inject({ method: 'POST', url: TR, headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(json.statusCode).toBe(415);
    expect(json.json().error.code).toBe('TAJO_WEBHOOK_CONTENT_TYPE');
    const text = await app.inject({ method: 'POST', url: TR, headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.json().error.code).toBe('TAJO_WEBHOOK_CONTENT_TYPE');
    const p = { EventType: 'not an event' };
    const malformed = await postForm(TR, p, signForm(INJECT_ORIGIN + TR, p));
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('TAJO_WEBHOOK_MALFORMED');
    const huge = await app.inject({ method: 'POST', url: TR, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `a=${'x'.repeat(1_100_000)}` });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('TAJO_WEBHOOK_BODY_TOO_LARGE');
    expect(await inboxItems(store)).toHaveLength(0);
    // every delivery counts as received, also those refused before the handler (the body limit): rejected ≤ received
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/tajo_webhook_rejected_total\{route="taskrouter",reason="TAJO_WEBHOOK_BODY_TOO_LARGE"\} 1\n/);
    expect(metrics).toMatch(/tajo_webhook_received_total\{route="taskrouter"\} 4\n/);
  });
});

describe('POST /webhooks/twilio/event-streams', () => {
  it('stores each CloudEvent once (signed, bodySHA256 variant): repeats inside a batch dropped at once, across batches flagged at the claim', async () => {
    const r1 = await postSignedJson(ES, [cloudEvent(1), cloudEvent(2), cloudEvent(1)]);
    expect(r1.statusCode).toBe(204);
    // EV2's first delivery is not claimed yet: stored again, and flagged by the claim (SQLite dedupes batch rows there)
    const r2 = await postSignedJson(ES, [cloudEvent(2), cloudEvent(3)]);
    expect(r2.statusCode).toBe(204);
    const claimed = await claimAll(store);
    expect(claimed.filter((i) => !i.duplicate).map((i) => i.key).sort()).toEqual([sid('EV', 1), sid('EV', 2), sid('EV', 3)]);
    expect(claimed.filter((i) => i.duplicate).map((i) => i.key)).toEqual([sid('EV', 2)]);
    // once claimed, their keys are registered: a redelivery's copy is flagged by its own claim
    const r3 = await postSignedJson(ES, [cloudEvent(3), cloudEvent(4)]);
    expect(r3.statusCode).toBe(204);
    const later = await claimAll(store);
    expect(later.map((i) => [i.key, i.duplicate ?? false])).toEqual([[sid('EV', 3), true], [sid('EV', 4), false]]);
    // the route counts what it can know at the acknowledgement (the repeat inside r1); the processor counts the rest
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/tajo_webhook_accepted_total\{route="event-streams"\} 6\n/);
    expect(metrics).toMatch(/tajo_webhook_deduped_total\{route="event-streams"\} 1\n/);
  });

  it('stores each CloudEvent as the bytes Twilio signed (its slice of the batch), not serialised again', async () => {
    const e1 = `{ "id" : "${sid('EV', 11)}", "type": "com.twilio.taskrouter.task.created", "data": {"note": "a ] } \\" [ é 😀", "n": 1.50} }`;
    const test = `{"id":"${sid('EV', 12)}","type":"com.twilio.eventstreams.test-event","data":{"test_id":"${sid('TI', 1)}"}}`;
    const e3 = `{"type":"com.twilio.taskrouter.task.completed","id":"${sid('EV', 13)}","data":[1, 2 ,{}]}`;
    const body = `[\n  ${e1},\n  ${test} ,${e3}\n]\n`;
    const signed = signJson(INJECT_ORIGIN, ES, body);
    const r = await app.inject({ method: 'POST', url: signed.path, headers: { 'content-type': 'application/json', 'x-twilio-signature': signed.signature }, payload: body });
    expect(r.statusCode).toBe(204);
    // a batch with a test event is decoded here (not taken as is), and its items journaled as one record: imported as
    // one row whose payload is their texts, byte for byte
    (store as SqliteStore).importInboxJournal(Infinity);
    const db = new Database(join(dir, 'tajo.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT payload, item_keys FROM inbox').all() as { payload: string; item_keys: string }[];
      expect(rows).toEqual([{ payload: `[${e1},${e3}]`, item_keys: JSON.stringify([sid('EV', 11), sid('EV', 13)]) }]);
    } finally {
      db.close();
    }
    const items = await inboxItems(store);
    expect(items.map((i) => i.payload)).toEqual([JSON.parse(e1), JSON.parse(e3)]);
  });

  it('accepts the configured Basic credentials without a signature; refuses wrong ones', async () => {
    const body = JSON.stringify([cloudEvent(5)]);
    const ok = await app.inject({ method: 'POST', url: ES, headers: { 'content-type': 'application/json', authorization: basicHeader() }, payload: body });
    expect(ok.statusCode).toBe(204);
    const wrong = await app.inject({ method: 'POST', url: ES, headers: { 'content-type': 'application/json', authorization: basicHeader({ user: 'sink', pass: 'nope' }) }, payload: JSON.stringify([cloudEvent(6)]) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('TAJO_WEBHOOK_UNAUTHENTICATED');
    const none = await app.inject({ method: 'POST', url: ES, headers: { 'content-type': 'application/json' }, payload: JSON.stringify([cloudEvent(7)]) });
    expect(none.statusCode).toBe(403);
    expect(none.json().error.code).toBe('TAJO_WEBHOOK_SIGNATURE_MISSING');
    expect((await inboxItems(store)).map((i) => i.key)).toEqual([sid('EV', 5)]);
  });

  it('refuses a body that does not match its bodySHA256, and a signed URL without bodySHA256', async () => {
    const body = JSON.stringify([cloudEvent(8)]);
    const signed = signJson(INJECT_ORIGIN, ES, body);
    const tampered = await app.inject({ method: 'POST', url: signed.path, headers: { 'content-type': 'application/json', 'x-twilio-signature': signed.signature }, payload: JSON.stringify([cloudEvent(9)]) });
    expect(tampered.statusCode).toBe(403);
    const noHash = await app.inject({ method: 'POST', url: ES, headers: { 'content-type': 'application/json', 'x-twilio-signature': signForm(INJECT_ORIGIN + ES, {}) }, payload: body });
    expect(noHash.json().error.code).toBe('TAJO_WEBHOOK_SIGNATURE_INVALID');
    expect(await inboxItems(store)).toHaveLength(0);
  });

  it('answers 400 for malformed JSON and for events without an id (after authentication)', async () => {
    const bad = await app.inject({ method: 'POST', url: ES, headers: { 'content-type': 'application/json', authorization: basicHeader() }, payload: '[{"id": ' });
    expect(bad.statusCode).toBe(400);
    const noId = await postSignedJson(ES, [{ type: 'x' }]);
    expect(noId.statusCode).toBe(400);
    expect(noId.json().error.message).toMatch(/id/);
    const empty = await postSignedJson(ES, []);
    expect(empty.statusCode).toBe(400);
  });
});

describe('POST /webhooks/twilio/conversations', () => {
  it('stores onMessageAdded and onConversationStateUpdated once each; retries (RetryCount) are duplicates', async () => {
    const msg = { EventType: 'onMessageAdded', ConversationSid: sid('CH', 1), MessageSid: sid('IM', 1), Author: '+14155550100', Body: 'STOP', ParticipantSid: sid('MB', 1), Source: 'SMS', RetryCount: '0' };
    const closed = { EventType: 'onConversationStateUpdated', ConversationSid: sid('CH', 1), StateFrom: 'active', StateTo: 'closed', StateUpdated: '2024-01-01T00:00:00.000Z', Reason: 'TIMER' };
    for (const p of [msg, { ...msg, RetryCount: '1' }, closed, closed]) {
      const r = await postForm(CONV, p, signForm(INJECT_ORIGIN + CONV, p));
      expect(r.statusCode).toBe(204);
    }
    const items = await inboxItems(store);
    expect(items.map((i) => i.key)).toEqual([
      `conv:${sid('CH', 1)}:onMessageAdded:${sid('IM', 1)}`,
      `conv:${sid('CH', 1)}:onConversationStateUpdated:closed:2024-01-01T00:00:00.000Z`,
    ]);
  });
});

describe('POST /webhooks/flex/task-complete (HMAC mode)', () => {
  const body = (taskSid: string) => JSON.stringify({ TaskSid: taskSid, TaskAttributes: { from: '+14155550100', channelType: 'sms' }, TaskChannelUniqueName: 'default', Age: 42, TaskQueueFriendlyName: 'Support', Token: 'never-stored' });

  it('accepts a task SID and a reservation SID; answers counts; drops the Token field', async () => {
    for (const s of [sid('WT', 1), sid('WR', 1), sid('WT', 1)]) {
      const b = body(s);
      const r = await app.inject({ method: 'POST', url: FLEX, headers: { 'content-type': 'application/json', 'x-tajo-signature': hmacHeader(b) }, payload: b });
      expect(r.statusCode).toBe(200);
    }
    const items = await inboxItems(store);
    expect(items.map((i) => i.key)).toEqual([`flex:task-complete:${sid('WT', 1)}`, `flex:task-complete:${sid('WR', 1)}`]);
    expect(JSON.stringify(items)).not.toContain('never-stored');
  });

  it('refuses a missing or wrong HMAC with 401', async () => {
    const b = body(sid('WT', 2));
    const none = await app.inject({ method: 'POST', url: FLEX, headers: { 'content-type': 'application/json' }, payload: b });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('TAJO_WEBHOOK_UNAUTHENTICATED');
    const wrong = await app.inject({ method: 'POST', url: FLEX, headers: { 'content-type': 'application/json', 'x-tajo-signature': hmacHeader(b, 'x'.repeat(20)) }, payload: b });
    expect(wrong.statusCode).toBe(401);
    expect(await inboxItems(store)).toHaveLength(0);
  });
});

describe('POST /webhooks/flex/task-complete (Flex token mode)', () => {
  it('validates the agent token with the validator', async () => {
    const seen: string[] = [];
    const flexApp = buildServer({
      store, config: testConfig({ plugin_auth: 'flex_token' }), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID,
      flexTokenValidator: async (t) => (seen.push(t), { valid: t === 'good-token', identity: 'agent@example.com' }),
    });
    const b = JSON.stringify({ TaskSid: sid('WT', 9) });
    const ok = await flexApp.inject({ method: 'POST', url: FLEX, headers: { 'content-type': 'application/json', authorization: 'Bearer good-token' }, payload: b });
    expect(ok.statusCode).toBe(200);
    const bad = await flexApp.inject({ method: 'POST', url: FLEX, headers: { 'content-type': 'application/json', 'x-flex-token': 'bad-token' }, payload: b });
    expect(bad.statusCode).toBe(401);
    const inBody = await flexApp.inject({ method: 'POST', url: FLEX, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ TaskSid: sid('WT', 10), Token: 'good-token' }) });
    expect(inBody.statusCode).toBe(200);
    expect(seen).toEqual(['good-token', 'bad-token', 'good-token']);
    expect((await inboxItems(store)).map((i) => i.key)).toEqual([`flex:task-complete:${sid('WT', 9)}`, `flex:task-complete:${sid('WT', 10)}`]);
    await flexApp.close();
  });

  it('Twilio IAM unreachable: 503 TAJO_TWILIO_UNAVAILABLE (the plugin retries), not a 401; nothing stored', async () => {
    const before = (await inboxItems(store)).length;
    const flexApp = buildServer({
      store, config: testConfig({ plugin_auth: 'flex_token' }), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID,
      flexTokenValidator: twilioFlexTokenValidator(ACCOUNT_SID, AUTH_TOKEN, 1_000, () => Promise.reject('getaddrinfo ENOTFOUND iam.twilio.com')),
    });
    const b = JSON.stringify({ TaskSid: sid('WT', 11) });
    const r = await flexApp.inject({ method: 'POST', url: FLEX, headers: { 'content-type': 'application/json', authorization: 'Bearer some-token' }, payload: b });
    expect(r.statusCode).toBe(503);
    expect(r.json().error.code).toBe('TAJO_TWILIO_UNAVAILABLE');
    expect(await inboxItems(store)).toHaveLength(before);
    await flexApp.close();
  });
});

describe('POST /webhooks/flex/survey', () => {
  it('stores a survey once', async () => {
    const b = JSON.stringify({ TaskSid: sid('WT', 50), LinkedTaskSid: sid('WT', 1), Score: 4, Scale: 5, Questions: [{ label: 'Helpful?', score: 5 }] });
    for (let i = 0; i < 2; i++) {
      const r = await app.inject({ method: 'POST', url: SURVEY, headers: { 'content-type': 'application/json', 'x-tajo-signature': hmacHeader(b) }, payload: b });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({ accepted: i === 0 ? 1 : 0, duplicates: i === 0 ? 0 : 1 });
    }
    expect((await inboxItems(store)).map((i) => i.key)).toEqual([`survey:${sid('WT', 50)}`]);
  });
});

describe('store down', () => {
  it('answers 503 TAJO_STORE_UNAVAILABLE so Twilio retries; /readyz fails', async () => {
    await store.close();
    const p = taskRouterParams(1);
    const r = await postForm(TR, p, signForm(INJECT_ORIGIN + TR, p));
    expect(r.statusCode).toBe(503);
    expect(r.json().error.code).toBe('TAJO_STORE_UNAVAILABLE');
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
  });
});

describe('dashboard', () => {
  it('serves static files from dashboardDir, confined to it', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'tajo-dash-'));
    writeFileSync(join(dir, 'index.html'), '<h1>tajo</h1>');
    const withDash = buildServer({ store, config: testConfig(), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, dashboardDir: dir });
    const index = await withDash.inject({ method: 'GET', url: '/dashboard/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toContain('text/html');
    expect(index.body).toBe('<h1>tajo</h1>');
    // the same page headers as at `/` (the dashboard routes): no framing, no sniffing, no referrer
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    for (const url of ['/dashboard/../../etc/passwd', '/dashboard/%2e%2e/%2e%2e/etc/passwd', '/dashboard/nope.js']) {
      const r = await withDash.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(404);
    }
    await withDash.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('health and routing', () => {
  it('healthz, readyz, metrics, coded 404', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', store: 'sqlite' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('tajo_outbox_backlog 0');
    const nf = await app.inject({ method: 'GET', url: '/nope' });
    expect(nf.statusCode).toBe(404);
    expect(nf.json().error.code).toBe('TAJO_ROUTE_NOT_FOUND');
  });
});
