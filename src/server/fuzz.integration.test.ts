import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import type { Store } from '../store/store.js';
import { buildServer } from './app.js';
import { validateConversationsWebhook } from './routes/conversations.validate.js';
import { validateEventStreamsBatch } from './routes/eventStreams.validate.js';
import { validateTaskRouterCallback } from './routes/taskrouter.validate.js';
import { ACCOUNT_SID, AUTH_TOKEN, INJECT_ORIGIN, cloudEvent, formBody, hmacHeader, inboxItems, signForm, signJson, taskRouterParams, tempStore, testConfig } from './test-helpers/fixtures.js';

/**
 * Hostile input never yields a 5xx, never crashes, never stores anything: malformed JSON, wrong content types,
 * huge bodies, missing fields, unicode, bad / missing / replayed signatures.
 */
let store: Store;
let cleanup: () => Promise<void>;
let app: FastifyInstance;

beforeAll(async () => {
  ({ store, cleanup } = await tempStore());
  app = buildServer({ store, config: testConfig(), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, rateLimit: false, bodyLimit: 64 * 1024 });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await cleanup();
});

const ROUTES = ['/webhooks/twilio/taskrouter', '/webhooks/twilio/event-streams', '/webhooks/twilio/conversations', '/webhooks/flex/task-complete', '/webhooks/flex/survey'] as const;
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/cloudevents-batch+json', '', 'application/jsonx', '*/*'];

type Injected = Awaited<ReturnType<FastifyInstance['inject']>>;

function expectCoded4xx(res: Injected): void {
  expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, res.body).toBeLessThan(500);
  const body = res.json() as { error?: { code?: string; message?: string } };
  const code = body.error?.code as ErrorCode;
  expect(code in ERRORS, res.body).toBe(true);
  expect(ERRORS[code].status).toBe(res.statusCode);
  expect(typeof body.error?.message).toBe('string');
}

const unicodeText = fc.string({ unit: 'binary', maxLength: 300 });
const bodyArb = fc.oneof(
  unicodeText,
  fc.json({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(unicodeText, fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })), { maxKeys: 8 }).map((d) => formBody(d)),
  fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constantFrom('{', '[{"id":', '{"TaskSid": "WT', 'EventType=task.created&Sid=EV', '\u0000\uffff', '[]', '{}', 'null', ''),
);
const headerValue = fc.oneof(fc.string({ maxLength: 60 }).filter((s) => /^[\x20-\x7e]*$/.test(s)), fc.constantFrom('sha256=00', 'Basic Zm9vOmJhcg==', 'Bearer tajo_x', 'RSOYDt4T1cUTdK1PDd93/VVr8B8='));
const headersArb = fc.record(
  { 'x-twilio-signature': headerValue, authorization: headerValue, 'x-tajo-signature': headerValue, 'x-flex-token': headerValue },
  { requiredKeys: [] },
);
const queryArb = fc.oneof(fc.constant(''), fc.constantFrom('?bodySHA256=', '?bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', '?a=%zz', '?x=1&x=2'));

describe('fuzz: unauthenticated or garbled requests', () => {
  it('any route × content type × body × headers → coded 4xx, nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), fc.constantFrom(...CONTENT_TYPES), bodyArb, headersArb, queryArb, async (route, ct, body, headers, query) => {
        const res = await app.inject({ method: 'POST', url: route + query, headers: { ...(ct ? { 'content-type': ct } : {}), ...headers }, payload: body });
        expectCoded4xx(res);
      }),
      { numRuns: 2000 },
    );
    expect(await inboxItems(store)).toHaveLength(0);
  });

  it('huge bodies → 413, nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain'), fc.integer({ min: 64 * 1024 + 1, max: 300_000 }), async (route, ct, size) => {
        const res = await app.inject({ method: 'POST', url: route, headers: { 'content-type': ct }, payload: 'a'.repeat(size) });
        expectCoded4xx(res);
        expect(res.json().error.code).toBe('TAJO_WEBHOOK_BODY_TOO_LARGE');
      }),
      { numRuns: 40 },
    );
    expect(await inboxItems(store)).toHaveLength(0);
  });
});

describe('fuzz: authenticated but malformed', () => {
  it('signed TaskRouter / Conversations forms that fail validation → 400, nothing stored', async () => {
    const formArb = fc.dictionary(fc.oneof(fc.constantFrom('EventType', 'Sid', 'TaskSid', 'ConversationSid', 'Timestamp', 'MessageSid'), fc.string({ maxLength: 10 })), fc.oneof(unicodeText, fc.array(fc.string({ maxLength: 5 }), { minLength: 2, maxLength: 3 })), { maxKeys: 6 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/webhooks/twilio/taskrouter', '/webhooks/twilio/conversations'), formArb, async (route, params) => {
        // what the server decodes (URLSearchParams) is what must fail validation
        const decoded = Object.fromEntries([...new URLSearchParams(formBody(params))].map(([k]) => [k, new URLSearchParams(formBody(params)).getAll(k)]).map(([k, v]) => [k, (v as string[]).length > 1 ? v : (v as string[])[0]]));
        const validate = route.endsWith('taskrouter') ? validateTaskRouterCallback : validateConversationsWebhook;
        fc.pre(!validate(decoded).ok);
        const res = await app.inject({ method: 'POST', url: route, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(INJECT_ORIGIN + route, decoded as Record<string, string | string[]>) }, payload: formBody(params) });
        expectCoded4xx(res);
        expect(res.json().error.code).toBe('TAJO_WEBHOOK_MALFORMED');
      }),
      { numRuns: 500 },
    );
    expect(await inboxItems(store)).toHaveLength(0);
  });

  it('signed Event Streams bodies that are not CloudEvent batches → 400; HMAC-signed plugin garbage → 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'), unicodeText), fc.boolean(), async (body, plugin) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          parsed = Symbol('invalid');
        }
        fc.pre(typeof parsed === 'symbol' || !validateEventStreamsBatch(parsed).ok);
        if (plugin) fc.pre(typeof parsed === 'symbol' || parsed === null || typeof parsed !== 'object' || !('TaskSid' in parsed));
        const route = plugin ? '/webhooks/flex/task-complete' : '/webhooks/twilio/event-streams';
        const signed = signJson(INJECT_ORIGIN, route, body);
        const res = plugin
          ? await app.inject({ method: 'POST', url: route, headers: { 'content-type': 'application/json', 'x-tajo-signature': hmacHeader(body) }, payload: body })
          : await app.inject({ method: 'POST', url: signed.path, headers: { 'content-type': 'application/json', 'x-twilio-signature': signed.signature }, payload: body });
        expectCoded4xx(res);
        expect(res.json().error.code).toBe('TAJO_WEBHOOK_MALFORMED');
      }),
      { numRuns: 500 },
    );
    expect(await inboxItems(store)).toHaveLength(0);
  });
});

describe('fuzz: replayed signatures', () => {
  it('a valid signature replayed onto another body or path → 403, nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom('form', 'json', 'path'), async (a, b, kind) => {
        fc.pre(a !== b);
        let res: Injected;
        if (kind === 'form') {
          const route = '/webhooks/twilio/taskrouter';
          const sig = signForm(INJECT_ORIGIN + route, taskRouterParams(a));
          res = await app.inject({ method: 'POST', url: route, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig }, payload: formBody(taskRouterParams(b)) });
        } else if (kind === 'json') {
          const route = '/webhooks/twilio/event-streams';
          const signed = signJson(INJECT_ORIGIN, route, JSON.stringify([cloudEvent(a)]));
          res = await app.inject({ method: 'POST', url: signed.path, headers: { 'content-type': 'application/json', 'x-twilio-signature': signed.signature }, payload: JSON.stringify([cloudEvent(b)]) });
        } else {
          const p = taskRouterParams(a);
          const sig = signForm(`${INJECT_ORIGIN}/webhooks/twilio/taskrouter`, p);
          res = await app.inject({ method: 'POST', url: '/webhooks/twilio/conversations', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig }, payload: formBody(p) });
        }
        expectCoded4xx(res);
        expect(res.statusCode).toBe(403);
      }),
      { numRuns: 400 },
    );
    expect(await inboxItems(store)).toHaveLength(0);
  });
});
