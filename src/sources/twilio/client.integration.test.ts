import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTajoError } from '../../core/errors.js';
import { budgetsForTwilio } from '../../engine/budget.js';
import { TwilioClient, twilioCredentials } from './client.js';
import { fetchTask, listConversations, listEvents, listMessages, readFlexConfiguration, twilioDate } from './readers.js';

const WS = `WS${'a'.repeat(32)}`;
const seen: { url: string; auth: string | undefined }[] = [];
let server: Server;
let base: string;

/** A tiny Twilio: two Events pages joined by an opaque next_page_url, a bad-shape route, 404 and 401. */
function handle(req: IncomingMessage): { status: number; body: unknown } {
  const url = new URL(req.url ?? '/', base);
  seen.push({ url: req.url ?? '', auth: req.headers.authorization });
  if (req.headers.authorization !== `Basic ${Buffer.from(`AC${'1'.repeat(32)}:token`).toString('base64')}`) return { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } };
  const p = url.pathname;
  if (p === '/flex/v1/Configuration') return { status: 200, body: { taskrouter_workspace_sid: WS, flex_service_instance_sid: `IS${'b'.repeat(32)}`, extra: { ignored: true } } };
  if (p === `/tr/v1/Workspaces/${WS}/Events`) {
    const ev = (n: number) => ({ sid: `EV${String(n).padStart(32, '0')}`, event_type: 'task.created', event_date_ms: 1000 * n, event_data: { task_sid: `WT${'1'.repeat(32)}` }, unknown_field: 1 });
    if (url.searchParams.get('PageToken') === 'PTnext') return { status: 200, body: { events: [ev(3)], meta: { key: 'events', next_page_url: null, page_size: 2 } } };
    return { status: 200, body: { events: [ev(1), ev(2)], meta: { key: 'events', page_size: 2, next_page_url: `${base}/tr/v1/Workspaces/${WS}/Events?PageSize=2&PageToken=PTnext` } } };
  }
  if (p === `/tr/v1/Workspaces/${WS}/Tasks/WTgone`) return { status: 404, body: { code: 20404, message: 'Not found', status: 404 } };
  if (p.startsWith('/conv/v1/Services/')) {
    if (p.endsWith('/Messages')) return { status: 200, body: { messages: [{ sid: 'IM1', body: 'hi' }], meta: { key: 'messages', next_page_url: null } } };
    return { status: 200, body: { conversations: [{ sid: 12 }], meta: { key: 'conversations', next_page_url: null } } };
  }
  return { status: 404, body: { code: 20404 } };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const { status, body } = handle(req);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (token = 'token') =>
  new TwilioClient({
    baseUrls: { flex: `${base}/flex`, conversations: `${base}/conv`, taskrouter: `${base}/tr`, events: `${base}/ev` },
    credentials: twilioCredentials({ accountSid: `AC${'1'.repeat(32)}`, authMode: 'auth_token' }, { authToken: token }),
    budgets: budgetsForTwilio(WS, 100),
    maxAttempts: 1,
  });

describe('TwilioClient', () => {
  it('discovers the workspace and the Flex Conversations service (unknown fields pass)', async () => {
    expect(await readFlexConfiguration(client())).toEqual({ workspaceSid: WS, conversationServiceSid: `IS${'b'.repeat(32)}` });
  });

  it('follows next_page_url verbatim with explicit windows and never sends Page', async () => {
    seen.length = 0;
    const c = client();
    const pages = [];
    for await (const p of listEvents(c, WS, Date.UTC(2026, 0, 1, 10), Date.UTC(2026, 0, 1, 11), { pageSize: 5000 })) pages.push(p.items.map((e) => e.sid));
    expect(pages).toEqual([[`EV${'0'.repeat(31)}1`, `EV${'0'.repeat(31)}2`], [`EV${'0'.repeat(31)}3`]]);
    const first = new URL(seen[0]?.url ?? '', base).searchParams;
    expect(first.get('StartDate')).toBe('2026-01-01T10:00:00Z');
    expect(first.get('EndDate')).toBe('2026-01-01T11:00:00Z');
    expect(first.get('PageSize')).toBe('1000');
    expect(seen[1]?.url).toBe(`/tr/v1/Workspaces/${WS}/Events?PageSize=2&PageToken=PTnext`);
    expect(seen.some((s) => /[?&]Page=/.test(s.url))).toBe(false);
    expect(c.meter.requests).toBe(2);
  });

  it('clamps Conversations PageSize to 100 and asks Messages in ascending order', async () => {
    seen.length = 0;
    await listMessages(client(), `IS${'b'.repeat(32)}`, 'CH1');
    expect(seen[0]?.url).toContain('Order=asc');
    expect(seen[0]?.url).toContain('PageSize=100');
  });

  it('rejects a response of the wrong shape with TAJO_TWILIO_BAD_RESPONSE', async () => {
    const gen = listConversations(client(), `IS${'b'.repeat(32)}`, 0, 1);
    await expect(gen.next()).rejects.toSatisfy((e) => isTajoError(e, 'TAJO_TWILIO_BAD_RESPONSE'));
  });

  it('treats a deleted task (404) as absent and a bad token as TAJO_TWILIO_AUTH without leaking it', async () => {
    expect(await fetchTask(client(), WS, 'WTgone')).toBeUndefined();
    const err = await readFlexConfiguration(client('nope')).catch((e: unknown) => e);
    expect(isTajoError(err, 'TAJO_TWILIO_AUTH')).toBe(true);
    expect(JSON.stringify(err) + String(err)).not.toContain('nope');
  });

  it('formats query dates at second precision', () => {
    expect(twilioDate(Date.UTC(2026, 1, 2, 3, 4, 5, 678))).toBe('2026-02-02T03:04:05Z');
  });
});
