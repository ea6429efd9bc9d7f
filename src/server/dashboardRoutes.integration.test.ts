/** The dashboard's server side: static files at /, the read API, sync health, and the token off localhost. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, SyncHealth } from '../analytics/types.js';
import { ConfigSchema } from '../config/schema.js';
import { silentLogger } from '../core/logger.js';
import { startEmulator } from '../emulators/index.js';
import type { BudgetSnapshot } from '../engine/budget.js';
import { SqliteStore } from '../store/sqlite/sqliteStore.js';
import type { InteractionRow } from '../store/types.js';
import { startDashboardServer, type DashboardServer } from './dashboardRoutes.js';

const TOKEN = 'dashboard-token-0123456789';
const NOW = Date.UTC(2026, 10, 3, 12);
const D0 = Date.UTC(2026, 10, 2);

const row = (sid: string, createdMs: number, waitMs: number | null, outcome: InteractionRow['outcome']): InteractionRow => ({
  taskSid: sid, customerKey: '+14155550100', channel: 'voice', queueSid: 'WQ1', queueName: 'Voice Support', workerSid: waitMs === null ? null : 'WK1',
  workerName: waitMs === null ? null : 'alice', createdMs, answeredMs: waitMs === null ? null : createdMs + waitMs, wrapupMs: null,
  endedMs: createdMs + 300_000, outcome, conversationSid: null, conversationClosedMs: null, waitSeconds: null, handleSeconds: null, attributes: {},
  updatedAt: new Date(NOW).toISOString(),
});

describe('dashboard routes', () => {
  let dir: string;
  let store: SqliteStore;
  const servers: DashboardServer[] = [];
  let used = 0;
  const budgets = (): BudgetSnapshot[] => [{ name: 'twilio:taskrouter', ratePerSecond: 10, used: (used += 5), waitedMs: 0, throttled: 0, pauses: 0 }];

  const start = async (opts: { host?: string; token?: string; freshMs?: number } = {}) => {
    const config = ConfigSchema.parse(opts.token ? { server: { dashboard_token: opts.token } } : {});
    const s = await startDashboardServer({
      store, config, logger: silentLogger(), host: opts.host ?? '127.0.0.1', port: 0, dashboardDir: join(dir, 'dist'), now: () => NOW,
      budgets, budgetSampleMs: 20, freshMs: opts.freshMs ?? 0,
    });
    servers.push(s);
    return { ...s, base: `http://127.0.0.1:${new URL(s.url.replace('[::]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1')).port}` };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tajo-dash-routes-'));
    mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'dist', 'assets', 'app-1234.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'no');
    store = await SqliteStore.open(join(dir, 'tajo.db'));
    await store.commit('twilio-flex', {
      interactions: [row('WT1', D0 + 3_600_000, 10_000, 'completed'), row('WT2', D0 + 7_200_000, 30_000, 'completed'), row('WT3', D0 + 9_000_000, null, 'abandoned')],
      checkpoint: { stream: 'taskrouter_events', partition: 'WS1', value: { windowEndMs: NOW - 90_000, lastEventSid: null }, expectedVersion: 0 },
    });
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the built page at / and hashed assets, confined to the build folder', async () => {
    const s = await start();
    const page = await fetch(`${s.base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const asset = await fetch(`${s.base}/assets/app-1234.js`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await asset.text()).toBe('console.log(1)');
    for (const path of ['/assets/../../secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/assets/nope.js']) expect((await fetch(`${s.base}${path}`)).status, path).toBe(404);
  });

  it('answers the report sections with the analytics figures; bad queries are coded 400s', async () => {
    const s = await start();
    const summary = (await (await fetch(`${s.base}/api/dashboard/summary`)).json()) as Report;
    expect(summary.summary).toMatchObject({ interactions: 3, answered: 2, abandoned: 1, abandon_rate: 33.3, answered_within_sl: 1, service_level: 50, wait_p50: 10, wait_max: 30 });
    expect(summary.timeline?.map((t) => t.period)).toEqual(['2026-11-02']);
    const hourly = (await (await fetch(`${s.base}/api/dashboard/queues?by=hour&since=2026-11-02T02:00:00Z`)).json()) as Report;
    expect(hourly.queues?.map((q) => [q.hour, q.entered, q.abandoned])).toEqual([['2026-11-02T02:00Z', 2, 1]]);
    const agents = (await (await fetch(`${s.base}/api/dashboard/agents`)).json()) as Report;
    expect(agents.agent_totals?.map((a) => [a.worker_name, a.tasks_handled])).toEqual([['alice', 2]]);
    expect(agents.agents).toBeUndefined();
    expect((await (await fetch(`${s.base}/api/dashboard/queues?queue=voice%20support`)).json() as Report).queue_totals).toHaveLength(1);
    for (const q of ['by=week', 'since=yesterday', 'since=2026-11-03&until=2026-11-02']) {
      const r = await fetch(`${s.base}/api/dashboard/summary?${q}`);
      expect(r.status, q).toBe(400);
    }
    expect(((await (await fetch(`${s.base}/api/dashboard/nope`)).json()) as { error: { code: string } }).error.code).toBe('TAJO_ROUTE_NOT_FOUND');
  });

  it('health: stream cursor and lag, outbox, dead letters, rate-budget use over time', async () => {
    const s = await start();
    await new Promise((r) => setTimeout(r, 120));
    const h = (await (await fetch(`${s.base}/api/dashboard/health`)).json()) as SyncHealth;
    expect(h.streams).toEqual([expect.objectContaining({ stream: 'taskrouter_events', partition: 'WS1', position_ms: NOW - 90_000, lag_seconds: 90 })]);
    expect(h.outbox).toMatchObject({ pending: 0, oldest_pending_age_seconds: null });
    expect(h.dead_letters.open).toBe(0);
    expect(h.budgets.current[0]).toMatchObject({ name: 'twilio:taskrouter', rate_per_second: 10 });
    expect(h.budgets.history.length).toBeGreaterThan(0);
    expect(Object.keys(h.budgets.history[0]?.use_pct ?? {})).toEqual(['twilio:taskrouter']);
  });

  it('off localhost the API needs server.dashboard_token (Bearer or ?token=); the page itself carries no data', async () => {
    const s = await start({ host: '0.0.0.0', token: TOKEN });
    const api = `${s.base}/api/dashboard/summary`;
    const none = await fetch(api);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('TAJO_DASHBOARD_TOKEN');
    expect((await fetch(api, { headers: { authorization: 'Bearer wrong-token-xxxxxxxx' } })).status).toBe(401);
    expect((await fetch(api, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${api}?token=${TOKEN}`)).status).toBe(200);
    expect((await fetch(`${s.base}/api/dashboard/health?token=${TOKEN}x`)).status).toBe(401);
    expect((await fetch(`${s.base}/`)).status).toBe(200);

    const open = await start({ host: '0.0.0.0' });
    const refused = await fetch(`${open.base}/api/dashboard/summary?token=anything`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/server\.dashboard_token/);
  });

  it('serves a recent computation at once (stale-while-revalidate) and catches up on the next call', async () => {
    const s = await start({ freshMs: 60_000 });
    const get = async () => ((await (await fetch(`${s.base}/api/dashboard/summary`)).json()) as Report).summary?.interactions;
    expect(await get()).toBe(3);
    await store.commit('twilio-flex', { interactions: [row('WT4', D0 + 10_000_000, 5000, 'completed')] });
    expect(await get()).toBe(3);
    const fresh = await start({ freshMs: 0 });
    expect(((await (await fetch(`${fresh.base}/api/dashboard/summary`)).json()) as Report).summary?.interactions).toBe(4);
  });
});

describe("health's cursor lag is on the vendors' clock (an emulator world 60 days behind the real one)", () => {
  it('a cursor 90 emulated seconds behind the world shows 90 s of lag, not 60 days; outbox ages stay real time', async () => {
    const DAY_MS = 86_400_000;
    const dir = mkdtempSync(join(tmpdir(), 'tajo-dash-clock-'));
    const emu = await startEmulator({ seed: 62, scale: 'small', now: Date.now() - 60 * DAY_MS });
    // rows written a real minute ago: the outbox row below has waited 60 s of this machine's clock
    const store = await SqliteStore.open(join(dir, 'tajo.db'), { now: () => Date.now() - 60_000 });
    let server: DashboardServer | undefined;
    try {
      const emuNow = ((await (await fetch(`${emu.url}/_emulator/clock`)).json()) as { nowMs: number }).nowMs;
      expect(Date.now() - emuNow).toBeGreaterThan(59 * DAY_MS);
      await store.commit('twilio-flex', {
        checkpoint: { stream: 'taskrouter_events', partition: 'WS1', value: { windowEndMs: emuNow - 90_000, lastEventSid: null }, expectedVersion: 0 },
      });
      await store.commit('twilio-flex', { outbox: [{ kind: 'event', key: 'E:1', payload: {}, priority: 0 }] });
      const config = ConfigSchema.parse({ connectors: { twilio_flex: { base_urls: { flex: emu.url } } } });
      server = await startDashboardServer({ store, config, logger: silentLogger(), host: '127.0.0.1', port: 0, freshMs: 0 });
      const h = (await (await fetch(`${server.url}/api/dashboard/health`)).json()) as SyncHealth;
      const lag = h.streams[0]?.lag_seconds ?? Number.NaN;
      expect(lag).toBeGreaterThanOrEqual(90);
      expect(lag).toBeLessThan(90 + 60);
      // the outbox row's age is a real wait: a minute of this machine's clock (not 0, as it would be 60 days in its past)
      expect(h.outbox.oldest_pending_age_seconds).toBeGreaterThanOrEqual(60);
      expect(h.outbox.oldest_pending_age_seconds).toBeLessThan(120);
      expect(Date.parse(h.generated_at)).toBeGreaterThan(Date.now() - 60_000); // generated on this machine's clock
    } finally {
      await server?.close();
      await store.close();
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
