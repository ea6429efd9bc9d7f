import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-helpers/testServer.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A sink destination that records requests; `hold: true` accepts them and never answers. */
async function destination(hold: boolean): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const held: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(b);
      if (hold) held.push(res);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/sink`, bodies };
}

async function form(t: TestServer, path: string, body: Record<string, string | string[]>): Promise<Record<string, unknown>> {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(body)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  const res = await fetch(`${t.url}/events${path}`, { method: 'POST', headers: { authorization: t.auth, 'content-type': 'application/x-www-form-urlencoded' }, body: p.toString() });
  return (await res.json()) as Record<string, unknown>;
}

async function activeSink(t: TestServer, url: string): Promise<void> {
  const sink = await form(t, '/v1/Sinks', { Description: url, SinkType: 'webhook', SinkConfiguration: JSON.stringify({ destination: url, method: 'POST', batch_events: false }) });
  t.fixture.db.prepare("UPDATE sinks SET status = 'active' WHERE sid = ?").run(sink.sid);
  const types = ['task.completed', 'reservation.completed'].map((x) => JSON.stringify({ type: `com.twilio.taskrouter.${x}`, schema_version: 1 }));
  expect(String((await form(t, '/v1/Subscriptions', { Description: 'd', SinkSid: String(sink.sid), Types: types })).sid)).toMatch(/^DF/);
}

describe('Event Streams sinks are delivered independently', () => {
  it('a sink whose destination never answers does not hold back the deliveries to another sink', async () => {
    const s = await startTestServer();
    cleanup.push(() => s.close());
    const dead = await destination(true);
    const live = await destination(false);
    await activeSink(s, dead.url);
    await activeSink(s, live.url);
    s.clock.advance(6 * 60_000);
    for (let i = 0; i < 60 && live.bodies.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(dead.bodies.length).toBeGreaterThan(0);
    expect(live.bodies.flatMap((b) => (JSON.parse(b) as { type: string }[]).map((e) => e.type)).sort()).toEqual([
      'com.twilio.taskrouter.reservation.completed',
      'com.twilio.taskrouter.task.completed',
    ]);
  });
});
