import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-helpers/testServer.js';

let s: TestServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});
const ws = (t: TestServer): string => `/taskrouter/v1/Workspaces/${t.fixture.workspaceSid}`;
const MIN = 60_000;

describe('auth', () => {
  it('wrong credentials → 401 with the Twilio body', async () => {
    s = await startTestServer();
    for (const auth of ['', `Basic ${Buffer.from(`${s.creds.accountSid}:nope`).toString('base64')}`, `Basic ${Buffer.from(`${s.creds.apiKeySid}:${s.creds.authToken}`).toString('base64')}`]) {
      const r = await s.get('/flex-api/v1/Configuration', auth);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
    }
    const key = await s.get('/flex-api/v1/Configuration', `Basic ${Buffer.from(`${s.creds.apiKeySid}:${s.creds.apiKeySecret}`).toString('base64')}`);
    expect(key.status).toBe(200);
  });

  it('flexDisabled → 403 on Flex only', async () => {
    s = await startTestServer();
    s.faults.load({ seed: 1, rules: [{ vendor: 'twilio', flexDisabled: true, errorStatus: 503 }] });
    const flex = await s.get('/flex-api/v1/Configuration');
    expect(flex.status).toBe(403);
    expect(flex.body).toMatchObject({ code: 20403, status: 403 });
    expect((await s.get(`${ws(s)}/Workers`)).status).toBe(200);
  });
});

describe('rate limits (emulated time, one-second burst)', () => {
  it('the 31st TaskRouter read within one emulated second is a 429; budgets refill with the clock', async () => {
    s = await startTestServer();
    for (let i = 0; i < 30; i++) expect((await s.get(`${ws(s)}/Workers`)).status).toBe(200);
    const r = await s.get(`${ws(s)}/TaskQueues`);
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ code: 20429, message: 'Too Many Requests', more_info: 'https://www.twilio.com/docs/errors/20429', status: 429 });
    expect(r.headers.get('retry-after')).toBeNull();
    // Other products have their own budgets.
    expect((await s.get('/flex-api/v1/Configuration')).status).toBe(200);
    s.clock.advance(1000);
    expect((await s.get(`${ws(s)}/Workers`)).status).toBe(200);
    const log = s.twilio.requestLog();
    expect(log['GET /taskrouter/v1/Workspaces/{WorkspaceSid}/TaskQueues']).toMatchObject({ requests: 1, rateLimited: 1 });
    expect(log['GET /taskrouter/v1/Workspaces/{WorkspaceSid}/Workers']).toMatchObject({ requests: 31, rateLimited: 0 });
  });

  it('Events draw from the Events bucket (20) and the workspace bucket (30)', async () => {
    s = await startTestServer();
    for (let i = 0; i < 20; i++) expect((await s.get(`${ws(s)}/Events`)).status).toBe(200);
    expect((await s.get(`${ws(s)}/Events`)).status).toBe(429);
    // The workspace bucket lost 20 (not 21: a blocked request takes nothing) → 10 reads left.
    for (let i = 0; i < 10; i++) expect((await s.get(`${ws(s)}/Workers`)).status).toBe(200);
    expect((await s.get(`${ws(s)}/Workers`)).status).toBe(429);
    // Both full again; drain the workspace bucket to 5: Events are then blocked by it while their own bucket has 15 left.
    s.clock.advance(1000);
    for (let i = 0; i < 25; i++) expect((await s.get(`${ws(s)}/Workers`)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await s.get(`${ws(s)}/Events`)).status).toBe(200);
    expect((await s.get(`${ws(s)}/Events`)).status).toBe(429);
    expect(s.twilio.requestLog()['GET /taskrouter/v1/Workspaces/{WorkspaceSid}/Events']?.rateLimited).toBe(2);
  });

  it('a fault rule can add Retry-After to budget 429s', async () => {
    s = await startTestServer({ limits: { flexRps: 1 } });
    s.faults.load({ seed: 1, rules: [{ vendor: 'twilio', path: '^/nothing$', rate429: 0, retryAfterSeconds: 7, errorStatus: 503 }] });
    expect((await s.get('/flex-api/v1/Configuration')).status).toBe(200);
    const r = await s.get('/flex-api/v1/Configuration');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
  });
});

describe('faults', () => {
  it('5xx, 429 storms with Retry-After, outages windows, latency', async () => {
    s = await startTestServer();
    s.faults.load({ seed: 3, rules: [{ vendor: 'twilio', path: '^/v1/Workspaces/.+/Workers$', errorRate: 1, errorStatus: 503 }] });
    const e = await s.get(`${ws(s)}/Workers`);
    expect(e.status).toBe(503);
    expect(e.body).toMatchObject({ code: 20503, status: 503 });
    s.faults.load({ seed: 3, rules: [{ vendor: 'twilio', path: '^/v1/Workspaces/.+/Tasks', rate429: 1, retryAfterSeconds: 2, errorStatus: 503 }] });
    const storm = await s.get(`${ws(s)}/Tasks`);
    expect(storm.status).toBe(429);
    expect(storm.headers.get('retry-after')).toBe('2');
    expect((await s.get(`${ws(s)}/Workers`)).status).toBe(200);
    s.faults.load({ seed: 3, rules: [{ vendor: 'any', outageStatus: 500, from: '+60', to: '+120', errorStatus: 503 }] });
    expect((await s.get(`${ws(s)}/Workers`)).status).toBe(200);
    s.clock.advance(90_000);
    expect((await s.get('/conversations/v1/Conversations')).status).toBe(500);
    s.clock.advance(60_000);
    expect((await s.get('/conversations/v1/Conversations')).status).toBe(200);
    s.faults.load({ seed: 3, rules: [{ vendor: 'twilio', latencyMs: 300, errorStatus: 503 }] });
    const t0 = Date.now();
    expect((await s.get('/flex-api/v1/Configuration')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
  });

  it('timeouts hold the request until the client gives up; close() releases held requests', async () => {
    s = await startTestServer();
    s.faults.load({ seed: 1, rules: [{ vendor: 'twilio', path: 'Configuration', timeoutRate: 1, errorStatus: 503 }] });
    await expect(fetch(`${s.url}/flex-api/v1/Configuration`, { headers: { authorization: s.auth }, signal: AbortSignal.timeout(300) })).rejects.toThrow();
    const pending = fetch(`${s.url}/flex-api/v1/Configuration`, { headers: { authorization: s.auth } }).then(
      (r) => r.status,
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 100));
    await s.close();
    s = undefined;
    expect(await pending).toBe('dropped');
  });
});

describe('retention and windows', () => {
  it('a finished task disappears taskRetentionMs after it ended; its events remain', async () => {
    s = await startTestServer({ taskRetentionMs: 10 * MIN });
    const task = s.fixture.inFlight;
    const fetchTask = (): Promise<{ status: number; body: Record<string, unknown> }> => s!.get(`${ws(s!)}/Tasks/${task}`);
    const before = await fetchTask();
    expect(before.body.assignment_status).toBe('assigned');
    expect(before.body.reason).toBeNull();
    s.clock.advance(6 * MIN);
    const done = await fetchTask();
    expect(done.body.assignment_status).toBe('completed');
    s.clock.advance(10 * MIN);
    expect((await fetchTask()).status).toBe(404);
    const list = await s.get(`${ws(s)}/Tasks?PageSize=1000`);
    expect((list.body.tasks as { sid: string }[]).some((t) => t.sid === task)).toBe(false);
    const events = await s.get(`${ws(s)}/Events?TaskSid=${task}&Minutes=60`);
    expect((events.body.events as { event_type: string }[]).map((e) => e.event_type)).toContain('task.completed');
  });

  it('Events: last 15 minutes by default, Minutes widens, nothing older than 30 days, future events hidden', async () => {
    s = await startTestServer();
    const now = s.clock.nowMs();
    const r = await s.get(`${ws(s)}/Events?PageSize=1000`);
    const dates = (r.body.events as { event_date_ms: number }[]).map((e) => e.event_date_ms);
    expect(dates.length).toBeGreaterThan(0);
    expect(dates.every((d) => d >= now - 15 * MIN && d <= now)).toBe(true);
    const all = s.fixture.db.prepare('SELECT COUNT(*) AS n FROM events WHERE event_date_ms >= ? AND event_date_ms <= ?').get(now - 15 * MIN, now) as { n: number };
    expect(dates.length).toBe(all.n);
    const wide = await s.get(`${ws(s)}/Events?Minutes=120&PageSize=1000`);
    expect((wide.body.events as unknown[]).length).toBeGreaterThan(dates.length);
    const ancient = await s.get(`${ws(s)}/Events?TaskSid=${s.fixture.ancient}&StartDate=2000-01-01T00:00:00Z&PageSize=1000`);
    expect(ancient.body.events).toEqual([]);
    const sorted = [...dates].sort((a, b) => b - a);
    expect(dates).toEqual(sorted);
  });

  it('task attributes in events older than 43,200 minutes are redacted (visible with a longer retention)', async () => {
    s = await startTestServer({ eventRetentionMs: 40 * 86_400_000 });
    const old = await s.get(`${ws(s)}/Events?TaskSid=${s.fixture.old}&StartDate=2000-01-01T00:00:00Z`);
    const evs = old.body.events as { event_data: { task_attributes: string } }[];
    expect(evs.length).toBeGreaterThan(0);
    expect(evs.every((e) => e.event_data.task_attributes === '{}')).toBe(true);
    const recent = await s.get(`${ws(s)}/Events?TaskSid=${s.fixture.open[0] ?? ''}&Minutes=60`);
    expect((recent.body.events as { event_data: { task_attributes: string } }[])[0]?.event_data.task_attributes).toContain('from');
  });
});

describe('paging', () => {
  it('keyset tokens: next/previous pages, stable under new data, clamped PageSize, bad tokens', async () => {
    s = await startTestServer({ limits: { taskrouterReadRps: 1e6, taskrouterEventsRps: 1e6 } });
    const first = await s.get(`${ws(s)}/Events?Minutes=240&PageSize=40`);
    const meta = first.body.meta as Record<string, string | null | number>;
    expect(meta.previous_page_url).toBeNull();
    expect(String(meta.next_page_url)).toMatch(new RegExp(`^${s.url}/taskrouter/v1/Workspaces/WS[0-9a-f]{32}/Events\\?Minutes=240&PageSize=40&Page=1&PageToken=PA`));
    // Time passes between pages: the token froze the window, so page 2 continues the same listing.
    s.clock.advance(30 * MIN);
    const second = await s.get(String(meta.next_page_url));
    const m2 = second.body.meta as Record<string, string | null | number>;
    expect(m2.page).toBe(1);
    const ids1 = (first.body.events as { sid: string }[]).map((e) => e.sid);
    const ids2 = (second.body.events as { sid: string }[]).map((e) => e.sid);
    expect(ids2.some((x) => ids1.includes(x))).toBe(false);
    const back = await s.get(String(m2.previous_page_url));
    expect((back.body.events as { sid: string }[]).map((e) => e.sid)).toEqual(ids1);
    const big = await s.get('/conversations/v1/Conversations?PageSize=5000');
    expect((big.body.meta as { page_size: number }).page_size).toBe(100);
    expect((await s.get(`${ws(s)}/Tasks?PageToken=garbage`)).status).toBe(400);
    expect((await s.get(`${ws(s)}/Tasks?PageSize=0`)).status).toBe(400);
  });

  it('conversations: StartDate/EndDate filter sorts by creation date descending; State filter', async () => {
    s = await startTestServer();
    const asc = await s.get('/conversations/v1/Conversations?PageSize=100');
    const ascDates = (asc.body.conversations as { date_created: string }[]).map((c) => c.date_created);
    expect(ascDates).toEqual([...ascDates].sort());
    const desc = await s.get('/conversations/v1/Conversations?StartDate=2020-01-01T00:00:00Z&PageSize=100');
    const descDates = (desc.body.conversations as { date_created: string }[]).map((c) => c.date_created);
    expect(descDates).toEqual([...ascDates].reverse());
    const day = new Date(s.clock.nowMs()).toISOString().slice(0, 10);
    const byDay = await s.get(`/conversations/v1/Conversations?StartDate=${day}&EndDate=${day}&PageSize=100`);
    expect((byDay.body.conversations as unknown[]).length).toBe(ascDates.length);
    const active = await s.get('/conversations/v1/Conversations?State=active');
    const list = active.body.conversations as { sid: string; state: string }[];
    expect(list.map((c) => c.state)).toEqual(['active']);
    expect(list[0]?.sid).toBe(s.fixture.conversations[s.fixture.conversations.length - 1]);
  });
});
