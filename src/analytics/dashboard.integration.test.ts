/**
 * The dashboard in real headless Chromium (Debian's `chromium`, from CHROMIUM_PATH or PATH; never downloaded):
 * `tajo serve`'s server over a store synced from the emulator; the page loads without console errors, its charts
 * render, the figures it shows equal `tajo report --json`, the agent table sorts from the keyboard, and it refreshes
 * live. A screenshot is saved as test-artifacts/dashboard.png. Without Chromium this test fails (CI installs it).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/test-helpers/runCli.js';
import { ConfigSchema } from '../config/schema.js';
import { silentLogger } from '../core/logger.js';
import { startHarness, type Harness } from '../engine/sync/test-helpers/harness.js';
import { startServer, type RunningServer } from '../server/app.js';
import { dec, hours, int } from '../../dashboard/src/format.js';
import { buildDashboard, CHROMIUM_ARGS as ARGS, findChromium, ROOT } from './test-helpers/chromium.js';

/** A fixed emulated now: the seeded world, and so its counts (the TTL timeouts asserted below among them), depends on it. */
const WORLD_NOW = '2026-11-20T12:00:00Z';
import type { Report } from './types.js';

describe('dashboard in headless Chromium', () => {
  let h: Harness;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let report: Report;
  let distDir: string;
  const problems: string[] = [];
  const apiCalls: string[] = [];
  let until: string;

  beforeAll(async () => {
    const executablePath = findChromium();
    distDir = mkdtempSync(join(tmpdir(), 'tajo-dashboard-dist-'));
    await buildDashboard(distDir);
    h = await startHarness({ seed: 7, scale: 'small', timeScale: 50, now: WORLD_NOW });
    const sync = await h.sync({ type: 'full' });
    expect(sync.status, sync.statusReason).toBe('ok');
    until = new Date(h.emulator.truth().nowMs).toISOString();
    const r = await runCli(['--json', '--data-dir', h.dir, 'report', '--until', until]);
    expect(r.code, r.stderr).toBe(0);
    report = r.json<Report>();
    server = await startServer({
      store: h.store, config: ConfigSchema.parse({}), logger: silentLogger(), twilioAuthToken: 'x'.repeat(32), accountSid: h.connector.settings.accountSid,
      dashboardDir: distDir, host: '127.0.0.1', port: 0, rateLimit: false,
    });
    browser = await chromium.launch({ executablePath, args: ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (req) => problems.push(`requestfailed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
    page.on('request', (req) => {
      if (req.url().includes('/api/dashboard/')) apiCalls.push(new URL(req.url()).pathname);
    });
    await page.goto(`${server.url}/?until=${encodeURIComponent(until)}`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 60_000 });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await h?.close();
    if (distDir) rmSync(distDir, { recursive: true, force: true });
  });

  it('loads from / with no console errors, and every chart draws on a non-empty canvas', async () => {
    expect(await page.title()).toBe('Tajo · Support analytics');
    const sizes = await page.$$eval('.chart canvas', (cs) => cs.map((c) => ({ id: c.closest('.chart')?.id, w: (c as HTMLCanvasElement).width, h: (c as HTMLCanvasElement).height })));
    const ids = sizes.map((s) => s.id);
    for (const id of ['chart-volume', 'chart-sl', 'chart-wait', 'chart-channels', 'chart-csat-trend', 'chart-csat-dist']) expect(ids).toContain(id);
    for (const s of sizes) expect(s.w * s.h, String(s.id)).toBeGreaterThan(100 * 100);
    // something is drawn: the bars of the wait-time chart are not all background
    const inked = await page.$eval('#chart-wait canvas', (c) => {
      const ctx = (c as HTMLCanvasElement).getContext('2d');
      if (!ctx) return 0;
      const d = ctx.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if ((d[i + 3] ?? 0) > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(1000);
    expect(await page.getAttribute('#chart-wait', 'aria-label')).toMatch(/^Wait-time distribution/);
    expect(problems).toEqual([]);
  });

  it('shows the figures of tajo report --json', async () => {
    const s = report.summary;
    if (!s) throw new Error('report without summary');
    const kpi = (k: string) => page.$eval(`[data-kpi="${k}"]`, (e) => ({ value: (e as HTMLElement).dataset.value, text: e.textContent }));
    expect(await kpi('interactions')).toEqual({ value: String(s.interactions), text: int(s.interactions) });
    expect(await kpi('abandoned')).toEqual({ value: String(s.abandoned), text: int(s.abandoned) });
    // the world has tasks TaskRouter canceled for their TTL: shown apart from the customer abandonments
    expect(s.timed_out).toBeGreaterThan(0);
    expect(await kpi('timed_out')).toEqual({ value: String(s.timed_out), text: int(s.timed_out) });
    expect(await page.getAttribute('#chart-volume', 'aria-label')).toContain(`; ${int(s.timed_out)} timed out`);
    expect(await kpi('service_level')).toEqual({ value: String(s.service_level), text: `${dec(s.service_level)} %` });
    expect(await kpi('wait_p50')).toEqual({ value: String(s.wait_p50), text: `${dec(s.wait_p50)} s` });
    expect(await kpi('avg_handle')).toEqual({ value: String(s.avg_handle), text: `${dec(s.avg_handle)} s` });
    expect(await kpi('csat_avg')).toEqual({ value: String(s.csat_avg), text: dec(s.csat_avg) });

    const table = (id: string) => page.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => ({
      key: (r as HTMLElement).dataset.key,
      cells: Object.fromEntries([...r.querySelectorAll('td')].map((td) => [(td as HTMLElement).dataset.col, { v: (td as HTMLElement).dataset.value, t: td.textContent }])),
    })));
    const queues = await table('queues');
    expect(queues.map((q) => q.key)).toEqual(report.queue_totals?.map((q) => q.queue_sid));
    for (const q of report.queue_totals ?? []) {
      const row = queues.find((r) => r.key === q.queue_sid)?.cells;
      expect(row?.entered).toEqual({ v: String(q.entered), t: int(q.entered) });
      expect(row?.abandon_rate?.v).toBe(q.abandon_rate === null ? '' : String(q.abandon_rate));
      expect(row?.timed_out).toEqual({ v: String(q.timed_out), t: int(q.timed_out) });
      expect(row?.service_level?.t).toBe(dec(q.service_level));
      expect(row?.wait_p90?.v).toBe(q.wait_p90 === null ? '' : String(q.wait_p90));
    }
    const agents = await table('agents');
    expect(agents).toHaveLength(report.agent_totals?.length ?? -1);
    for (const a of report.agent_totals ?? []) {
      const row = agents.find((r) => r.key === a.worker_sid)?.cells;
      expect(row?.worker_name?.t).toBe(a.worker_name);
      expect(row?.tasks_handled).toEqual({ v: String(a.tasks_handled), t: int(a.tasks_handled) });
      expect(row?.avg_handle?.t).toBe(dec(a.avg_handle));
      expect(row?.time_available?.t).toBe(hours(a.time_available));
      expect(row?.occupancy?.v).toBe(a.occupancy === null ? '' : String(a.occupancy));
      expect(row?.avg_csat?.v).toBe(a.avg_csat === null ? '' : String(a.avg_csat));
    }
    const c = report.csat;
    expect(JSON.parse((await page.getAttribute('#csat-caption', 'data-value')) ?? '{}')).toEqual({ count: c?.count, avg: c?.avg, low_score: c?.low_score, late: c?.late, absent: c?.absent });
    expect(JSON.parse((await page.getAttribute('#chart-channels', 'data-channels')) ?? '{}')).toEqual(report.channels);
    const outbox = await h.store.outboxStats();
    expect(await page.textContent('[data-health="outbox"]')).toContain(`${int(outbox.pending)} pending`);
  });

  it('sorts the agent table from the keyboard', async () => {
    await page.focus('#agents th button[data-sort-key="worker_name"]');
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('#agents th:has(button[data-sort-key="worker_name"])', 'aria-sort')).toBe('ascending');
    const names = await page.$$eval('#agents tbody td[data-col="worker_name"]', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.sortKey)).toBe('worker_name');
    await page.keyboard.press('Space');
    expect(await page.getAttribute('#agents th:has(button[data-sort-key="worker_name"])', 'aria-sort')).toBe('descending');
    await page.focus('#agents th button[data-sort-key="tasks_handled"]');
    await page.keyboard.press('Enter');
    const tasks = await page.$$eval('#agents tbody td[data-col="tasks_handled"]', (tds) => tds.map((td) => Number((td as HTMLElement).dataset.value)));
    expect(tasks).toEqual([...tasks].sort((a, b) => b - a));
  });

  it('refreshes live, and a screenshot is saved', async () => {
    const before = apiCalls.filter((p) => p.endsWith('/summary')).length;
    await expect.poll(() => apiCalls.filter((p) => p.endsWith('/summary')).length, { timeout: 20_000, interval: 250 }).toBeGreaterThan(before);
    await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toMatch(/^Updated .* live/);
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.scrollTo(0, 0);
    });
    const dir = join(ROOT, 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });
    expect(existsSync(join(dir, 'dashboard.png'))).toBe(true);
    expect(problems).toEqual([]);
  });
});
