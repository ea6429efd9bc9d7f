import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-helpers/testServer.js';

/**
 * The official twilio-node client (v6) against the emulator. It has no base-URL option (docs/twilio.md §7):
 * a RequestClient subclass rewrites `https://<product>.twilio.com/...` to the emulator's prefixes.
 */
const HOSTS: Record<string, string> = {
  'taskrouter.twilio.com': '/taskrouter',
  'conversations.twilio.com': '/conversations',
  'flex-api.twilio.com': '/flex-api',
  'events.twilio.com': '/events',
};

/** A twilio RequestClient whose requests go to the emulator; next_page_url already points there and is left alone. */
function emulatorHttpClient(base: string): twilio.RequestClient {
  const inner = new twilio.RequestClient();
  const original = inner.request.bind(inner);
  inner.request = ((opts: { uri: string }) => {
    const u = new URL(opts.uri);
    const prefix = HOSTS[u.host];
    return original({ ...opts, uri: prefix ? `${base}${prefix}${u.pathname}${u.search}` : opts.uri } as Parameters<typeof original>[0]);
  }) as typeof inner.request;
  return inner;
}

let s: TestServer;
let client: twilio.Twilio;
beforeAll(async () => {
  delete process.env.TWILIO_EDGE;
  delete process.env.TWILIO_REGION;
  // The clock is frozen (budgets never refill), so budgets are raised here; rate limits have their own test.
  s = await startTestServer({ tasks: 120, taskRetentionMs: 7 * 86_400_000, limits: { taskrouterReadRps: 1e6, taskrouterEventsRps: 1e6 } });
  client = twilio(s.creds.accountSid, s.creds.authToken, { httpClient: emulatorHttpClient(s.url) });
});
afterAll(async () => {
  await s.close();
});

describe('official twilio client against the emulator', () => {
  it('reads the Flex configuration', async () => {
    const cfg = await client.flexApi.v1.configuration().fetch();
    expect(cfg.taskrouterWorkspaceSid).toBe(s.fixture.workspaceSid);
    expect(cfg.flexServiceInstanceSid).toBe(s.fixture.chatServiceSid);
    expect(cfg.chatServiceInstanceSid).toBe(s.fixture.chatServiceSid);
    expect(cfg.taskrouterTaskqueues?.length).toBe(2);
  });

  it('lists tasks across pages (attributes null in lists, present on fetch)', async () => {
    const ws = client.taskrouter.v1.workspaces(s.fixture.workspaceSid);
    const tasks = await ws.tasks.list({ pageSize: 25 });
    // 120 finished + 2 open + 1 in flight are within the 7-day retention; the 31/35-day-old ones are purged.
    expect(tasks.length).toBe(123);
    const all = [...s.fixture.completed, ...s.fixture.canceled, ...s.fixture.open, s.fixture.inFlight].sort();
    expect(tasks.map((t) => t.sid).sort()).toEqual(all);
    expect(new Set(tasks.map((t) => t.sid)).size).toBe(tasks.length);
    expect(tasks.every((t) => t.attributes === null)).toBe(true);
    const one = await ws.tasks(s.fixture.open[0] ?? '').fetch();
    expect(JSON.parse(one.attributes) as Record<string, unknown>).toHaveProperty('from');
    const reservations = await ws.tasks(s.fixture.open[0] ?? '').reservations.list();
    expect(reservations[0]?.workerSid).toBe(s.fixture.workers[0]);
  });

  it('lists and fetches workers, queues, activities', async () => {
    const ws = client.taskrouter.v1.workspaces(s.fixture.workspaceSid);
    const workers = await ws.workers.list();
    expect(workers.map((w) => w.sid).sort()).toEqual([...s.fixture.workers].sort());
    expect(workers.every((w) => w.attributes === null)).toBe(true);
    const w = await ws.workers(s.fixture.workers[0] ?? '').fetch();
    expect(JSON.parse(w.attributes) as Record<string, unknown>).toMatchObject({ full_name: 'Alice Agent' });
    const sales = await ws.workers.list({ taskQueueName: 'Sales' });
    expect(sales.map((x) => x.sid)).toEqual([s.fixture.workers[0]]);
    const queues = await ws.taskQueues.list();
    expect(queues.map((q) => q.friendlyName)).toEqual(['Everyone', 'Sales']);
    const stats = await ws.taskQueues(s.fixture.queues.everyone).cumulativeStatistics().fetch({ minutes: 240 });
    expect(stats.tasksEntered).toBeGreaterThan(0);
    const activities = await ws.activities.list();
    expect(activities.length).toBe(3);
  });

  it('follows next_page_url across Events pages', async () => {
    const ws = client.taskrouter.v1.workspaces(s.fixture.workspaceSid);
    const start = new Date(s.clock.nowMs() - 3 * 3600_000);
    const events = await ws.events.list({ startDate: start, endDate: new Date(s.clock.nowMs()), pageSize: 50 });
    const all = s.fixture.db.prepare('SELECT COUNT(*) AS n FROM events WHERE event_date_ms >= ? AND event_date_ms <= ?').get(Math.floor(start.getTime() / 1000) * 1000, s.clock.nowMs()) as { n: number };
    expect(events.length).toBe(all.n);
    expect(events.length).toBeGreaterThan(100);
    expect(new Set(events.map((e) => e.sid)).size).toBe(events.length);
    const completed = await ws.events.list({ eventType: 'task.completed', startDate: start });
    expect(completed.every((e) => e.eventType === 'task.completed')).toBe(true);
    expect(typeof (completed[0]?.eventData as Record<string, unknown>).task_attributes).toBe('string');
  });

  it('lists conversations, messages and participants', async () => {
    const svc = client.conversations.v1.services(s.fixture.chatServiceSid);
    const convs = await svc.conversations.list({ pageSize: 20 });
    expect(convs.length).toBe(s.fixture.conversations.length);
    const first = s.fixture.conversations[0] ?? '';
    const msgs = await svc.conversations(first).messages.list({ order: 'desc' });
    expect(msgs.map((m) => m.index)).toEqual([2, 1, 0]);
    const parts = await client.conversations.v1.conversations(first).participants.list();
    expect(parts.find((p) => p.messagingBinding)?.messagingBinding).toMatchObject({ type: 'sms' });
  });

  it('API key auth works; a wrong token is a RestException 20003', async () => {
    const keyClient = twilio(s.creds.apiKeySid, s.creds.apiKeySecret, { accountSid: s.creds.accountSid, httpClient: emulatorHttpClient(s.url) });
    const cfg = await keyClient.flexApi.v1.configuration().fetch();
    expect(cfg.accountSid).toBe(s.creds.accountSid);
    const bad = twilio(s.creds.accountSid, 'wrong', { httpClient: emulatorHttpClient(s.url) });
    await expect(bad.taskrouter.v1.workspaces(s.fixture.workspaceSid).tasks.list()).rejects.toMatchObject({ status: 401, code: 20003 });
  });
});
