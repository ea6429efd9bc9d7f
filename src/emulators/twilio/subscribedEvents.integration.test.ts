import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecValidators } from './test-helpers/specSchemas.js';
import { startTestServer, type TestServer } from './test-helpers/testServer.js';

const specDir = fileURLToPath(new URL('../../../specs/twilio', import.meta.url));
const specs = new SpecValidators(specDir);
const SE = '/v1/Subscriptions/{SubscriptionSid}/SubscribedEvents';
const TR = (t: string) => `com.twilio.taskrouter.${t}`;

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

async function call(method: string, path: string, form?: Record<string, string | string[]>): Promise<{ status: number; body: unknown }> {
  const init: RequestInit = { method, headers: { authorization: s.auth } };
  if (form) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
    init.body = p.toString();
    init.headers = { authorization: s.auth, 'content-type': 'application/x-www-form-urlencoded' };
  }
  const res = await fetch(`${s.url}/events${path}`, init);
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

function valid(specPath: string, method: string, status: number, body: unknown): void {
  const v = specs.validator('events_v1', specPath, method, status);
  expect(v(body), JSON.stringify(v.errors)).toBe(true);
}

describe('Event Streams: a subscription\'s SubscribedEvents', () => {
  it('lists, adds, fetches, updates and removes subscribed types as the spec describes; unknown types are refused', async () => {
    const sink = await call('POST', '/v1/Sinks', { Description: 'tajo', SinkType: 'webhook', SinkConfiguration: JSON.stringify({ destination: 'http://127.0.0.1:9/none', method: 'POST', batch_events: true }) });
    const dg = (sink.body as { sid: string }).sid;
    // (the Test/Validate handshake has its own test in push.integration.test.ts)
    s.fixture.db.prepare("UPDATE sinks SET status = 'active' WHERE sid = ?").run(dg);
    const refused = await call('POST', '/v1/Subscriptions', { Description: 'x', SinkSid: dg, Types: [JSON.stringify({ type: 'com.twilio.nope', schema_version: 1 })] });
    expect(refused.status).toBe(400);
    const sub = await call('POST', '/v1/Subscriptions', { Description: 'tajo', SinkSid: dg, Types: [JSON.stringify({ type: TR('task.created'), schema_version: 1 })] });
    expect(sub.status).toBe(201);
    const df = (sub.body as { sid: string }).sid;
    const types = async () => ((await call('GET', `/v1/Subscriptions/${df}/SubscribedEvents`)).body as { types: { type: string; schema_version: number }[] }).types;

    const added = await call('POST', `/v1/Subscriptions/${df}/SubscribedEvents`, { Type: TR('task.completed') });
    expect(added.status).toBe(201);
    valid(SE, 'POST', 201, added.body);
    expect(added.body).toMatchObject({ type: TR('task.completed'), schema_version: 1, subscription_sid: df });
    expect((await call('POST', `/v1/Subscriptions/${df}/SubscribedEvents`, { Type: TR('task.completed'), SchemaVersion: '2' })).status).toBe(200);
    expect((await call('POST', `/v1/Subscriptions/${df}/SubscribedEvents`, { Type: 'com.twilio.nope' })).status).toBe(400);
    expect((await call('POST', `/v1/Subscriptions/${df}/SubscribedEvents`, {})).status).toBe(400);

    const listed = await call('GET', `/v1/Subscriptions/${df}/SubscribedEvents`);
    valid(SE, 'GET', 200, listed.body);
    expect((listed.body as { types: { type: string; schema_version: number }[] }).types.map((t) => [t.type, t.schema_version])).toEqual([[TR('task.created'), 1], [TR('task.completed'), 2]]);

    const fetched = await call('GET', `/v1/Subscriptions/${df}/SubscribedEvents/${TR('task.created')}`);
    valid(`${SE}/{Type}`, 'GET', 200, fetched.body);
    const updated = await call('POST', `/v1/Subscriptions/${df}/SubscribedEvents/${TR('task.created')}`, { SchemaVersion: '3' });
    valid(`${SE}/{Type}`, 'POST', 200, updated.body);
    expect(updated.body).toMatchObject({ schema_version: 3 });

    expect((await call('DELETE', `/v1/Subscriptions/${df}/SubscribedEvents/${TR('task.created')}`)).status).toBe(204);
    expect((await call('GET', `/v1/Subscriptions/${df}/SubscribedEvents/${TR('task.created')}`)).status).toBe(404);
    expect((await call('DELETE', `/v1/Subscriptions/${df}/SubscribedEvents/${TR('task.created')}`)).status).toBe(404);
    expect((await types()).map((t) => t.type)).toEqual([TR('task.completed')]);
  });
});
