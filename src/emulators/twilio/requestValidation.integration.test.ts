import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecValidators } from './test-helpers/specSchemas.js';
import { startTestServer, type TestServer } from './test-helpers/testServer.js';

const specs = new SpecValidators(fileURLToPath(new URL('../../../specs/twilio', import.meta.url)));

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

async function post(path: string, form: Record<string, string | string[]>): Promise<{ status: number; body: Record<string, unknown> }> {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  const res = await fetch(s.url + path, {
    method: 'POST',
    headers: { authorization: s.auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: p.toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const badRequest = { code: 20001, status: 400, more_info: 'https://www.twilio.com/docs/errors/20001' };

describe('request parameters that are not what the spec describes are 400 20001, not 500', () => {
  it('Event Streams: a SinkConfiguration or a Types entry that is JSON but not an object', async () => {
    for (const [type, cfg] of [['webhook', 'null'], ['kinesis', 'null'], ['segment', '[1]'], ['kinesis', '"arn"']] as const) {
      const r = await post('/events/v1/Sinks', { Description: 'd', SinkType: type, SinkConfiguration: cfg });
      expect(r.status, `${type} ${cfg}`).toBe(400);
      expect(r.body).toMatchObject({ ...badRequest, message: expect.stringContaining('SinkConfiguration') });
    }
    const sink = await post('/events/v1/Sinks', { Description: 'd', SinkType: 'webhook', SinkConfiguration: JSON.stringify({ destination: 'http://127.0.0.1:9/x', method: 'POST' }) });
    expect(sink.status).toBe(201);
    s.fixture.db.prepare("UPDATE sinks SET status = 'active' WHERE sid = ?").run(sink.body.sid);
    for (const t of ['null', '[]', '"com.twilio.taskrouter.task.created"']) {
      const r = await post('/events/v1/Subscriptions', { Description: 'd', SinkSid: String(sink.body.sid), Types: t });
      expect(r.status, t).toBe(400);
      expect(r.body).toMatchObject({ ...badRequest, message: `Invalid Types entry: ${t}` });
    }
  });

  it('a JSON body is not read as parameters (the spec\'s request bodies are application/x-www-form-urlencoded only)', async () => {
    const json = async (path: string, body: unknown) => {
      const res = await fetch(s.url + path, { method: 'POST', headers: { authorization: s.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const config = JSON.stringify({ destination: 'http://127.0.0.1:9/none', method: 'POST', batch_events: true });
    const sink = await json('/events/v1/Sinks', { Description: 'json sink', SinkType: 'webhook', SinkConfiguration: config });
    expect(sink.status).toBe(400);
    expect(sink.body).toMatchObject({ ...badRequest, message: 'Missing required parameter Description in the post body' });
    const listed = (await s.get('/events/v1/Sinks')).body.sinks as { description: string }[];
    expect(listed.map((x) => x.description)).not.toContain('json sink');
    const flex = await json('/flex-api/v1/Interactions', { Channel: { type: 'sms', initiated_by: 'customer' } });
    expect(flex.status).toBe(400);
    expect(flex.body).toMatchObject({ ...badRequest, message: 'Missing required parameter Channel in the post body' });
    // the same parameters form-encoded are accepted
    expect((await post('/events/v1/Sinks', { Description: 'form sink', SinkType: 'webhook', SinkConfiguration: config })).status).toBe(201);
  });

  it('TaskRouter: a StartDate/EndDate out of the date range (StartDate=99999999999999999999) on the statistics', async () => {
    const ws = `/taskrouter/v1/Workspaces/${s.fixture.workspaceSid}`;
    for (const path of ['/Workers/CumulativeStatistics', `/Workers/${s.fixture.workers[0] ?? ''}/Statistics`, '/TaskQueues/Statistics', `/TaskQueues/${s.fixture.queues.everyone}/CumulativeStatistics`]) {
      for (const p of ['StartDate', 'EndDate']) {
        const r = await s.get(`${ws}${path}?${p}=99999999999999999999`);
        expect(r.status, `${path} ${p}`).toBe(400);
        expect(r.body).toMatchObject({ ...badRequest, message: `Invalid ${p}: 99999999999999999999` });
      }
    }
  });
});

describe('dates without an offset are GMT, as Twilio reads them, whatever the time zone of the emulator host', () => {
  it('Events and Conversations list the same window for 2026-05-20T10:00:00 and 2026-05-20T10:00:00Z', async () => {
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 19);
      const start = iso(s.clock.nowMs() - 2 * 3_600_000);
      const end = iso(s.clock.nowMs() - 60_000);
      const sids = async (path: string, key: string): Promise<string[]> => {
        const r = await s.get(path);
        expect(r.status, path).toBe(200);
        return (r.body[key] as { sid: string }[]).map((x) => x.sid);
      };
      const ws = `/taskrouter/v1/Workspaces/${s.fixture.workspaceSid}`;
      const utcEvents = await sids(`${ws}/Events?StartDate=${start}Z&EndDate=${end}Z&PageSize=1000`, 'events');
      expect(utcEvents.length).toBeGreaterThan(0);
      expect(await sids(`${ws}/Events?StartDate=${start}&EndDate=${end}&PageSize=1000`, 'events')).toEqual(utcEvents);
      const day = iso(s.clock.nowMs() - 30 * 86_400_000);
      const utcConvs = await sids(`/conversations/v1/Conversations?StartDate=${day}Z&EndDate=${end}Z&PageSize=100`, 'conversations');
      expect(utcConvs.length).toBeGreaterThan(0);
      expect(await sids(`/conversations/v1/Conversations?StartDate=${day}&EndDate=${end}&PageSize=100`, 'conversations')).toEqual(utcConvs);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});

describe('Flex Interactions', () => {
  it('POST /v1/Interactions/{Sid} updates the WebhookTtid (spec UpdateInteraction, 200) and 404s for an unknown interaction', async () => {
    const created = await post('/flex-api/v1/Interactions', { Channel: JSON.stringify({ type: 'sms', initiated_by: 'customer' }), WebhookTtid: 'flex_interactionwebhook_old' });
    expect(created.status).toBe(200);
    const kd = String(created.body.sid);
    const updated = await post(`/flex-api/v1/Interactions/${kd}`, { WebhookTtid: 'flex_interactionwebhook_new' });
    expect(updated.status).toBe(200);
    const v = specs.validator('flex_v1', '/v1/Interactions/{Sid}', 'POST', 200);
    expect(v(updated.body), JSON.stringify(v.errors)).toBe(true);
    expect(updated.body).toMatchObject({ sid: kd, webhook_ttid: 'flex_interactionwebhook_new', channel: created.body.channel });
    expect((await s.get(`/flex-api/v1/Interactions/${kd}`)).body).toMatchObject({ webhook_ttid: 'flex_interactionwebhook_new' });
    const unknown = await post(`/flex-api/v1/Interactions/KD${'0'.repeat(32)}`, { WebhookTtid: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 20404, status: 404 });
  });

  it('POST /v1/Interactions: Channel and Routing must be JSON objects ("A JSON object that defines…"), else 400 20001', async () => {
    for (const [Channel, Routing] of [['[]', undefined], ['"sms"', undefined], ['5', undefined], ['{"type":"sms"}', '5'], ['{"type":"sms"}', '[1]']] as const) {
      const r = await post('/flex-api/v1/Interactions', { Channel, ...(Routing !== undefined ? { Routing } : {}) });
      expect(r.status, `${Channel} ${Routing ?? ''}`).toBe(400);
      expect(r.body).toMatchObject({ ...badRequest, message: `Invalid JSON in parameter ${Routing === undefined ? 'Channel' : 'Routing'}` });
    }
  });
});

describe('HTTP Basic auth', () => {
  it('the scheme name is case-insensitive (RFC 7617), the credentials are not', async () => {
    const b64 = (u: string, p: string): string => Buffer.from(`${u}:${p}`).toString('base64');
    const path = `/taskrouter/v1/Workspaces/${s.fixture.workspaceSid}`;
    for (const scheme of ['basic', 'BASIC', 'Basic']) {
      expect((await s.get(path, `${scheme} ${b64(s.creds.accountSid, s.creds.authToken)}`)).status, scheme).toBe(200);
      expect((await s.get(path, `${scheme} ${b64(s.creds.apiKeySid, s.creds.apiKeySecret)}`)).status, scheme).toBe(200);
    }
    const wrong = await s.get(path, `basic ${b64(s.creds.accountSid, s.creds.apiKeySecret)}`);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: 20003, status: 401 });
  });
});
