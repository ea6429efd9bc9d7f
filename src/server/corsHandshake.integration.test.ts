import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../cli/io.js';
import { main } from '../cli/main.js';
import { runCli, tempDir } from '../cli/test-helpers/runCli.js';
import { silentLogger } from '../core/logger.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { buildServer } from './app.js';
import { ACCOUNT_SID, AUTH_TOKEN, INJECT_ORIGIN, cloudEvent, hmacHeader, inboxItems, signJson, tempStore, testConfig } from './test-helpers/fixtures.js';

const FLEX = '/webhooks/flex/task-complete';
const ES = '/webhooks/twilio/event-streams';

describe('CORS on the Flex plugin routes', () => {
  const setup = async (cors?: string[]) => {
    const t = await tempStore();
    const app = buildServer({ store: t.store, config: testConfig(cors ? { cors_origins: cors } : {}), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID });
    await app.ready();
    return { ...t, app, close: async () => (await app.close(), await t.cleanup()) };
  };

  it('answers preflights for the configured origin (default flex.twilio.com) and refuses others', async () => {
    const s = await setup();
    try {
      const ok = await s.app.inject({ method: 'OPTIONS', url: FLEX, headers: { origin: 'https://flex.twilio.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
      expect(ok.statusCode).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe('https://flex.twilio.com');
      expect(String(ok.headers['access-control-allow-methods'])).toContain('POST');
      expect(String(ok.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');
      const evil = await s.app.inject({ method: 'OPTIONS', url: FLEX, headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(evil.statusCode).toBe(403);
      expect(evil.headers['access-control-allow-origin']).toBeUndefined();
      // Twilio's server-to-server routes get no CORS
      const es = await s.app.inject({ method: 'OPTIONS', url: ES, headers: { origin: 'https://flex.twilio.com', 'access-control-request-method': 'POST' } });
      expect(es.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await s.close();
    }
  });

  it('adds Access-Control-Allow-Origin to plugin responses (accepted or refused) for configured origins only', async () => {
    const s = await setup(['https://flex.twilio.com', 'https://my-flex.example']);
    try {
      const body = JSON.stringify({ TaskSid: `WT${'1'.repeat(32)}`, TaskAttributes: { from: '+14155550100' }, TaskChannelUniqueName: 'sms', Age: 30, TaskQueueFriendlyName: 'Support' });
      const ok = await s.app.inject({ method: 'POST', url: FLEX, headers: { origin: 'https://my-flex.example', 'content-type': 'application/json', 'x-tajo-signature': hmacHeader(body) }, payload: body });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['access-control-allow-origin']).toBe('https://my-flex.example');
      expect(ok.headers.vary).toContain('Origin');
      const refused = await s.app.inject({ method: 'POST', url: FLEX, headers: { origin: 'https://flex.twilio.com', 'content-type': 'application/json' }, payload: body });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['access-control-allow-origin']).toBe('https://flex.twilio.com');
      const other = await s.app.inject({ method: 'POST', url: FLEX, headers: { origin: 'https://evil.example', 'content-type': 'application/json', 'x-tajo-signature': hmacHeader(body) }, payload: body });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});

describe('Event Streams sink handshake', () => {
  it('acknowledges the test event without storing it in the inbox', async () => {
    const t = await tempStore();
    const app = buildServer({ store: t.store, config: testConfig(), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID });
    try {
      const test = { specversion: '1.0', type: 'com.twilio.eventstreams.test-event', source: 'Sink', id: ACCOUNT_SID, time: new Date().toISOString(), data: { test_id: 'cae2f9e2-c277-4612-8ad3-93c1a7a3ef88' } };
      const body = JSON.stringify([test, cloudEvent(1)]);
      const signed = signJson(INJECT_ORIGIN, ES, body);
      const r = await app.inject({ method: 'POST', url: signed.path, headers: { 'content-type': 'application/json', 'x-twilio-signature': signed.signature }, payload: body });
      expect(r.statusCode).toBe(204);
      const items = await inboxItems(t.store);
      expect(items.map((i) => i.key)).toEqual([cloudEvent(1).id]);
    } finally {
      await app.close();
      await t.cleanup();
    }
  });

  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ seed: 7, scale: 'small' });
  }, 60_000);
  afterAll(async () => {
    await emu?.close();
  });

  it('`tajo connectors webhooks` against a running `tajo serve`: Test → test_id recorded → Validate → sink active → subscription', async () => {
    const dir = await tempDir();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const io = bufferIo({ waitForShutdown: () => stopped });
    let running: Promise<number> | undefined;
    try {
      expect((await runCli(['--data-dir', dir.path, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url])).code).toBe(0);
      running = main(['node', 'tajo', '--json', '--data-dir', dir.path, 'serve', '--port', '0'], io);
      let url: string | undefined;
      for (let i = 0; i < 200 && !url; i++) {
        const text = io.stdoutText();
        if (text) url = (JSON.parse(text) as { url: string }).url;
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect(url).toBeDefined();
      const r = await runCli(['--json', '--data-dir', dir.path, 'connectors', 'webhooks', 'twilio-flex', '--public-url', url!, '--wait', '15']);
      expect(r.code, r.stderr).toBe(0);
      const rep = r.json<{ sinkSid: string; sinkStatus: string; subscriptionCreated: boolean; subscriptionSid?: string }>();
      expect(rep).toMatchObject({ sinkStatus: 'active', subscriptionCreated: true });
      expect(rep.subscriptionSid).toMatch(/^DF/);

      // the same server delivers what the sink receives, observing the delivery latency and the Brevo budgets
      const until = emu.clock.nowMs();
      const pushed = await emu.twilio.push({ kind: 'event-streams', url: `${url!}/webhooks/twilio/event-streams`, since: new Date(until - 3 * 3_600_000).toISOString(), until: new Date(until).toISOString(), batchSize: 50, concurrency: 4 });
      expect(pushed.failures).toBe(0);
      expect(pushed.events).toBeGreaterThan(0);
      // the inbox cycle, the Brevo delivery and the budget gauges move independently: wait for all three
      const wanted = [/tajo_delivery_latency_seconds_count(\{[^}]*\})? [1-9]/, /tajo_inbox_processed_total\{result="processed"[^}]*\} [1-9]/, /tajo_budget_used\{budget="brevo:[^"]+"[^}]*\} [1-9]/];
      let metrics = '';
      for (let i = 0; i < 150 && !wanted.every((re) => re.test(metrics)); i++) {
        await new Promise((r) => setTimeout(r, 200));
        metrics = await (await fetch(`${url!}/metrics`)).text();
      }
      expect(metrics).toMatch(/tajo_delivery_latency_seconds_count(\{[^}]*\})? [1-9]/);
      expect(metrics).toMatch(/tajo_inbox_processed_total\{result="processed"[^}]*\} [1-9]/);
      expect(metrics).toMatch(/tajo_budget_used\{budget="brevo:[^"]+"[^}]*\} [1-9]/);
    } finally {
      stop();
      if (running) await running;
      await dir.cleanup();
    }
  }, 60_000);
});
