import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecValidators } from './test-helpers/specSchemas.js';
import { startTestServer, type TestServer } from './test-helpers/testServer.js';

const specDir = fileURLToPath(new URL('../../../specs/twilio', import.meta.url));
const specs = new SpecValidators(specDir);

let s: TestServer;
beforeAll(async () => {
  // a frozen clock never refills the budgets: this file makes more TaskRouter reads than one second's burst
  s = await startTestServer({ limits: { taskrouterReadRps: 1000, taskrouterEventsRps: 1000 } });
});
afterAll(async () => {
  await s.close();
});

interface Case {
  spec: 'flex_v1' | 'conversations_v1' | 'taskrouter_v1' | 'events_v1';
  specPath: string;
  method: 'GET' | 'POST';
  url: () => string;
  status: number;
  form?: () => Record<string, string | string[]>;
  /** Keys that must hold a non-empty array in a list response. */
  nonEmpty?: string;
}

async function call(c: Case): Promise<{ status: number; body: unknown }> {
  const init: RequestInit = { method: c.method, headers: { authorization: s.auth } };
  if (c.form) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(c.form())) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
    init.body = p.toString();
    init.headers = { authorization: s.auth, 'content-type': 'application/x-www-form-urlencoded' };
  }
  const res = await fetch(s.url + c.url(), init);
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

const WSP = '/v1/Workspaces/{WorkspaceSid}';
const ws = (): string => `/taskrouter/v1/Workspaces/${s.fixture.workspaceSid}`;
const conv = (): string => s.fixture.conversations[0] ?? '';
const svc = (): string => `/conversations/v1/Services/${s.fixture.chatServiceSid}`;
const task = (): string => s.fixture.open[0] ?? '';
const firstSid = async (url: string, key: string): Promise<string> => {
  const r = await s.get(url);
  return ((r.body[key] as { sid: string }[])[0]?.sid ?? '') as string;
};

const cases: Case[] = [
  { spec: 'flex_v1', specPath: '/v1/Configuration', method: 'GET', url: () => '/flex-api/v1/Configuration', status: 200 },
  { spec: 'flex_v1', specPath: '/v1/Channels', method: 'GET', url: () => '/flex-api/v1/Channels', status: 200 },
  { spec: 'flex_v1', specPath: '/v1/WebChannels', method: 'GET', url: () => '/flex-api/v1/WebChannels', status: 200 },
  {
    spec: 'flex_v1', specPath: '/v1/WebChannels', method: 'POST', url: () => '/flex-api/v1/WebChannels', status: 201,
    form: () => ({ FlexFlowSid: s.fixture.flexFlowSid, Identity: 'web-user-1', CustomerFriendlyName: 'Web User', ChatFriendlyName: 'Chat with Web User' }),
  },
  {
    spec: 'flex_v1', specPath: '/v1/Channels', method: 'POST', url: () => '/flex-api/v1/Channels', status: 201,
    form: () => ({ FlexFlowSid: s.fixture.flexFlowSid, Identity: 'chat-user', ChatUserFriendlyName: 'Chat User', ChatFriendlyName: 'Chat' }),
  },
  {
    spec: 'flex_v1', specPath: '/v1/Interactions', method: 'POST', url: () => '/flex-api/v1/Interactions', status: 200,
    form: () => ({ Channel: JSON.stringify({ type: 'sms', initiated_by: 'customer' }), Routing: '{}' }),
  },
  { spec: 'conversations_v1', specPath: '/v1/Conversations', method: 'GET', url: () => '/conversations/v1/Conversations', status: 200, nonEmpty: 'conversations' },
  { spec: 'conversations_v1', specPath: '/v1/Conversations/{Sid}', method: 'GET', url: () => `/conversations/v1/Conversations/${conv()}`, status: 200 },
  { spec: 'conversations_v1', specPath: '/v1/Conversations/{ConversationSid}/Messages', method: 'GET', url: () => `/conversations/v1/Conversations/${conv()}/Messages`, status: 200, nonEmpty: 'messages' },
  { spec: 'conversations_v1', specPath: '/v1/Conversations/{ConversationSid}/Participants', method: 'GET', url: () => `/conversations/v1/Conversations/${conv()}/Participants`, status: 200, nonEmpty: 'participants' },
  { spec: 'conversations_v1', specPath: '/v1/Services/{ChatServiceSid}/Conversations', method: 'GET', url: () => `${svc()}/Conversations?StartDate=2020-01-01`, status: 200, nonEmpty: 'conversations' },
  { spec: 'conversations_v1', specPath: '/v1/Services/{ChatServiceSid}/Conversations/{Sid}', method: 'GET', url: () => `${svc()}/Conversations/${conv()}`, status: 200 },
  { spec: 'conversations_v1', specPath: '/v1/Services/{ChatServiceSid}/Conversations/{ConversationSid}/Messages', method: 'GET', url: () => `${svc()}/Conversations/${conv()}/Messages?Order=desc`, status: 200, nonEmpty: 'messages' },
  { spec: 'conversations_v1', specPath: '/v1/Services/{ChatServiceSid}/Conversations/{ConversationSid}/Participants', method: 'GET', url: () => `${svc()}/Conversations/${conv()}/Participants`, status: 200, nonEmpty: 'participants' },
  { spec: 'taskrouter_v1', specPath: '/v1/Workspaces/{Sid}', method: 'GET', url: () => ws(), status: 200 },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Tasks`, method: 'GET', url: () => `${ws()}/Tasks`, status: 200, nonEmpty: 'tasks' },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Tasks/{Sid}`, method: 'GET', url: () => `${ws()}/Tasks/${task()}`, status: 200 },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Tasks/{TaskSid}/Reservations`, method: 'GET', url: () => `${ws()}/Tasks/${task()}/Reservations`, status: 200, nonEmpty: 'reservations' },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Workers/{WorkerSid}/Reservations`, method: 'GET', url: () => `${ws()}/Workers/${s.fixture.workers[0] ?? ''}/Reservations`, status: 200, nonEmpty: 'reservations' },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Workers`, method: 'GET', url: () => `${ws()}/Workers`, status: 200, nonEmpty: 'workers' },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Workers/{Sid}`, method: 'GET', url: () => `${ws()}/Workers/${s.fixture.workers[0] ?? ''}`, status: 200 },
  { spec: 'taskrouter_v1', specPath: `${WSP}/TaskQueues`, method: 'GET', url: () => `${ws()}/TaskQueues`, status: 200, nonEmpty: 'task_queues' },
  { spec: 'taskrouter_v1', specPath: `${WSP}/TaskQueues/{Sid}`, method: 'GET', url: () => `${ws()}/TaskQueues/${s.fixture.queues.sales}`, status: 200 },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Activities`, method: 'GET', url: () => `${ws()}/Activities`, status: 200, nonEmpty: 'activities' },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Activities/{Sid}`, method: 'GET', url: () => `${ws()}/Activities/${s.fixture.activities.available}`, status: 200 },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Workflows`, method: 'GET', url: () => `${ws()}/Workflows`, status: 200, nonEmpty: 'workflows' },
  { spec: 'taskrouter_v1', specPath: `${WSP}/TaskChannels`, method: 'GET', url: () => `${ws()}/TaskChannels`, status: 200, nonEmpty: 'channels' },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Events`, method: 'GET', url: () => `${ws()}/Events?Minutes=120`, status: 200, nonEmpty: 'events' },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Workers/{WorkerSid}/Statistics`, method: 'GET', url: () => `${ws()}/Workers/${s.fixture.workers[0] ?? ''}/Statistics?Minutes=120`, status: 200 },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Workers/CumulativeStatistics`, method: 'GET', url: () => `${ws()}/Workers/CumulativeStatistics`, status: 200 },
  { spec: 'taskrouter_v1', specPath: `${WSP}/Workers/RealTimeStatistics`, method: 'GET', url: () => `${ws()}/Workers/RealTimeStatistics`, status: 200 },
  { spec: 'taskrouter_v1', specPath: `${WSP}/TaskQueues/{TaskQueueSid}/CumulativeStatistics`, method: 'GET', url: () => `${ws()}/TaskQueues/${s.fixture.queues.everyone}/CumulativeStatistics?SplitByWaitTime=5,30`, status: 200 },
  { spec: 'taskrouter_v1', specPath: `${WSP}/TaskQueues/{TaskQueueSid}/RealTimeStatistics`, method: 'GET', url: () => `${ws()}/TaskQueues/${s.fixture.queues.everyone}/RealTimeStatistics`, status: 200 },
  { spec: 'taskrouter_v1', specPath: `${WSP}/TaskQueues/{TaskQueueSid}/Statistics`, method: 'GET', url: () => `${ws()}/TaskQueues/${s.fixture.queues.everyone}/Statistics`, status: 200 },
  { spec: 'taskrouter_v1', specPath: `${WSP}/TaskQueues/Statistics`, method: 'GET', url: () => `${ws()}/TaskQueues/Statistics`, status: 200, nonEmpty: 'task_queues_statistics' },
  { spec: 'events_v1', specPath: '/v1/Types', method: 'GET', url: () => '/events/v1/Types', status: 200, nonEmpty: 'types' },
  {
    spec: 'events_v1', specPath: '/v1/Sinks', method: 'POST', url: () => '/events/v1/Sinks', status: 201,
    form: () => ({ Description: 'webhook sink', SinkType: 'webhook', SinkConfiguration: JSON.stringify({ destination: 'http://127.0.0.1:9/none', method: 'POST', batch_events: true }) }),
  },
  { spec: 'events_v1', specPath: '/v1/Sinks', method: 'GET', url: () => '/events/v1/Sinks', status: 200, nonEmpty: 'sinks' },
  { spec: 'events_v1', specPath: '/v1/Subscriptions', method: 'GET', url: () => '/events/v1/Subscriptions', status: 200 },
];

describe('every response validates against the spec schema (all properties, no extras)', () => {
  for (const c of cases) {
    it(`${c.method} ${c.spec} ${c.specPath}`, async () => {
      const r = await call(c);
      expect(r.status, JSON.stringify(r.body)).toBe(c.status);
      const v = specs.validator(c.spec, c.specPath, c.method, c.status);
      expect(v(r.body), JSON.stringify(v.errors)).toBe(true);
      if (c.nonEmpty) expect(((r.body as Record<string, unknown[]>)[c.nonEmpty] ?? []).length).toBeGreaterThan(0);
    });
  }

  it('fetched sub-resources validate too (message, participant, reservation, event, sink, subscription, type, interaction)', async () => {
    const msg = await firstSid(`/conversations/v1/Conversations/${conv()}/Messages`, 'messages');
    const part = await firstSid(`/conversations/v1/Conversations/${conv()}/Participants`, 'participants');
    const res = await firstSid(`${ws()}/Tasks/${task()}/Reservations`, 'reservations');
    const ev = await firstSid(`${ws()}/Events?Minutes=60`, 'events');
    const sink = await firstSid('/events/v1/Sinks', 'sinks');
    const checks: [Case['spec'], string, string][] = [
      ['conversations_v1', '/v1/Conversations/{ConversationSid}/Messages/{Sid}', `/conversations/v1/Conversations/${conv()}/Messages/${msg}`],
      ['conversations_v1', '/v1/Conversations/{ConversationSid}/Participants/{Sid}', `/conversations/v1/Conversations/${conv()}/Participants/${part}`],
      ['conversations_v1', '/v1/Services/{ChatServiceSid}/Conversations/{ConversationSid}/Messages/{Sid}', `${svc()}/Conversations/${conv()}/Messages/${msg}`],
      ['taskrouter_v1', `${WSP}/Tasks/{TaskSid}/Reservations/{Sid}`, `${ws()}/Tasks/${task()}/Reservations/${res}`],
      ['taskrouter_v1', `${WSP}/Events/{Sid}`, `${ws()}/Events/${ev}`],
      ['events_v1', '/v1/Sinks/{Sid}', `/events/v1/Sinks/${sink}`],
      ['events_v1', '/v1/Types/{Type}', '/events/v1/Types/com.twilio.taskrouter.task.created'],
    ];
    for (const [spec, path, url] of checks) {
      const r = await s.get(url);
      expect(r.status, url).toBe(200);
      const v = specs.validator(spec, path, 'GET', 200);
      expect(v(r.body), `${url} ${JSON.stringify(v.errors)}`).toBe(true);
    }
    const created = await call({
      spec: 'flex_v1', specPath: '/v1/Interactions', method: 'POST', url: () => '/flex-api/v1/Interactions', status: 200,
      form: () => ({ Channel: JSON.stringify({ type: 'web', initiated_by: 'customer' }) }),
    });
    const kd = (created.body as { sid: string }).sid;
    const fetched = await s.get(`/flex-api/v1/Interactions/${kd}`);
    expect(specs.validator('flex_v1', '/v1/Interactions/{Sid}', 'GET', 200)(fetched.body)).toBe(true);
  });

  it('the remaining emulated endpoints validate too (workspaces list, workflow, task channel, worker reservation, flex channels, service participant, sink and subscription lifecycle)', async () => {
    const wf = await firstSid(`${ws()}/Workflows`, 'workflows');
    const tc = await firstSid(`${ws()}/TaskChannels`, 'channels');
    const worker = s.fixture.workers[0] ?? '';
    const wres = await firstSid(`${ws()}/Workers/${worker}/Reservations`, 'reservations');
    const part = await firstSid(`${svc()}/Conversations/${conv()}/Participants`, 'participants');
    const ch = await firstSid('/flex-api/v1/Channels', 'flex_chat_channels');
    const reads: [Case['spec'], string, string][] = [
      ['taskrouter_v1', '/v1/Workspaces', '/taskrouter/v1/Workspaces'],
      ['taskrouter_v1', `${WSP}/Workflows/{Sid}`, `${ws()}/Workflows/${wf}`],
      ['taskrouter_v1', `${WSP}/TaskChannels/{Sid}`, `${ws()}/TaskChannels/${tc}`],
      ['taskrouter_v1', `${WSP}/Workers/{WorkerSid}/Reservations/{Sid}`, `${ws()}/Workers/${worker}/Reservations/${wres}`],
      ['conversations_v1', '/v1/Services/{ChatServiceSid}/Conversations/{ConversationSid}/Participants/{Sid}', `${svc()}/Conversations/${conv()}/Participants/${part}`],
      ['flex_v1', '/v1/Channels/{Sid}', `/flex-api/v1/Channels/${ch}`],
      ['flex_v1', '/v1/WebChannels/{Sid}', `/flex-api/v1/WebChannels/${ch}`],
    ];
    for (const [spec, path, url] of reads) {
      const r = await s.get(url);
      expect(r.status, `${url} ${JSON.stringify(r.body)}`).toBe(200);
      const v = specs.validator(spec, path, 'GET', 200);
      expect(v(r.body), `${url} ${JSON.stringify(v.errors)}`).toBe(true);
    }

    const checked = async (specPath: string, method: 'GET' | 'POST', url: string, status: number, form?: Record<string, string | string[]>): Promise<Record<string, unknown>> => {
      const r = await call({ spec: 'events_v1', specPath, method, url: () => `/events${url}`, status, ...(form ? { form: () => form } : {}) });
      expect(r.status, `${method} ${url} ${JSON.stringify(r.body)}`).toBe(status);
      const v = specs.validator('events_v1', specPath, method, status);
      expect(v(r.body), `${method} ${url} ${JSON.stringify(v.errors)}`).toBe(true);
      return r.body as Record<string, unknown>;
    };
    const sink = await checked('/v1/Sinks', 'POST', '/v1/Sinks', 201, { Description: 'lifecycle', SinkType: 'webhook', SinkConfiguration: JSON.stringify({ destination: 'http://127.0.0.1:9/none', method: 'POST', batch_events: false }) });
    const dg = String(sink.sid);
    await checked('/v1/Sinks/{Sid}', 'POST', `/v1/Sinks/${dg}`, 200, { Description: 'lifecycle 2' });
    s.fixture.db.prepare("UPDATE sinks SET status = 'active' WHERE sid = ?").run(dg);
    const sub = await checked('/v1/Subscriptions', 'POST', '/v1/Subscriptions', 201, { Description: 'sub', SinkSid: dg, Types: [JSON.stringify({ type: 'com.twilio.taskrouter.task.created', schema_version: 1 })] });
    const df = String(sub.sid);
    await checked('/v1/Subscriptions/{Sid}', 'GET', `/v1/Subscriptions/${df}`, 200);
    await checked('/v1/Subscriptions/{Sid}', 'POST', `/v1/Subscriptions/${df}`, 200, { Description: 'sub 2' });
    const del = async (url: string) => (await fetch(`${s.url}/events${url}`, { method: 'DELETE', headers: { authorization: s.auth } })).status;
    expect(await del(`/v1/Subscriptions/${df}`)).toBe(204);
    expect(await del(`/v1/Sinks/${dg}`)).toBe(204);
  });

  it('error bodies have Twilio\'s shape', async () => {
    for (const url of ['/taskrouter/v1/Workspaces/WS00000000000000000000000000000000/Tasks', `${ws()}/Tasks/WT00000000000000000000000000000000`, '/conversations/v1/Nope']) {
      const r = await s.get(url);
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ code: 20404, status: 404, more_info: 'https://www.twilio.com/docs/errors/20404' });
    }
    const bad = await call({ spec: 'flex_v1', specPath: '', method: 'POST', url: () => '/flex-api/v1/WebChannels', status: 400, form: () => ({ Identity: 'x' }) });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 20001, status: 400 });
  });
});
