/** The dashboard page in headless Chromium over a small hand-built SQLite store (figures computed by hand below). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../config/schema.js';
import { silentLogger } from '../core/logger.js';
import { startDashboardServer, type DashboardServer } from '../server/dashboardRoutes.js';
import { SqliteStore } from '../store/sqlite/sqliteStore.js';
import type { InteractionRow, SurveyRow } from '../store/types.js';
import { buildDashboard, CHROMIUM_ARGS, findChromium } from './test-helpers/chromium.js';

const C = 'twilio-flex';
const H = 3_600_000;
const DAY = 24 * H;
const NOW = Date.UTC(2026, 10, 30, 12);

const task = (sid: string, createdMs: number, worker: [string, string] | null, over: Partial<InteractionRow> = {}): InteractionRow => ({
  taskSid: sid, customerKey: '+14155550100', channel: 'voice', queueSid: 'WQ1', queueName: 'Voice Support', workerSid: worker?.[0] ?? null,
  workerName: worker?.[1] ?? null, createdMs, answeredMs: worker ? createdMs + 10_000 : null, wrapupMs: null, endedMs: createdMs + 300_000,
  outcome: worker ? 'completed' : 'abandoned', conversationSid: null, conversationClosedMs: null, waitSeconds: null, handleSeconds: null,
  attributes: {}, updatedAt: new Date(NOW).toISOString(), ...over,
});
const survey = (sid: string, linked: string, score: number, completedMs: number): SurveyRow => ({
  surveyTaskSid: sid, linkedTaskSid: linked, customerKey: '+14155550100', score, scale: 10, questions: [], completedMs,
});
const ALICE: [string, string] = ['WK1', 'alice'];
const BOB: [string, string] = ['WK2', 'bob'];
const CAROL: [string, string] = ['WK3', 'carol'];

describe('dashboard page (hand-built data)', () => {
  let dir: string;
  let store: SqliteStore;
  let server: DashboardServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    const executablePath = findChromium();
    dir = mkdtempSync(join(tmpdir(), 'tajo-dashboard-page-'));
    await buildDashboard(join(dir, 'dist'));
    store = await SqliteStore.open(join(dir, 'tajo.db'));
    // last 7 days: WT1, WT3 (abandoned), WT4, WT5 = 4 interactions; last 30 days adds WT2 = 5
    // CSAT on a 10-point scale: alice 9 and 8 (avg 8.5), carol 6, bob none; daily averages 9, 8, 6
    await store.commit(C, {
      interactions: [
        task('WT1', NOW - 3 * DAY, ALICE), task('WT2', NOW - 20 * DAY, BOB), task('WT3', NOW - 3 * DAY + H, null),
        task('WT4', NOW - 2 * DAY, ALICE), task('WT5', NOW - DAY, CAROL),
      ],
      surveys: [survey('WTS1', 'WT1', 9, NOW - 3 * DAY + 600_000), survey('WTS4', 'WT4', 8, NOW - 2 * DAY + 600_000), survey('WTS5', 'WT5', 6, NOW - DAY + 600_000)],
    });
    server = await startDashboardServer({
      store, config: ConfigSchema.parse({}), logger: silentLogger(), host: '127.0.0.1', port: 0, dashboardDir: join(dir, 'dist'), now: () => NOW, freshMs: 0,
    });
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 60_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const agentOrder = () => page.$$eval('#agents tbody td[data-col="worker_name"]', (tds) => tds.map((td) => td.textContent ?? ''));

  it('sorting agents by CSAT ranks the agents that have one, both ways; an agent without CSAT comes last', async () => {
    await page.click('#agents th button[data-sort-key="avg_csat"]');
    expect(await page.getAttribute('#agents th:has(button[data-sort-key="avg_csat"])', 'aria-sort')).toBe('descending');
    expect(await agentOrder()).toEqual(['alice', 'carol', 'bob']);
    await page.click('#agents th button[data-sort-key="avg_csat"]');
    expect(await agentOrder()).toEqual(['carol', 'alice', 'bob']);
  });

  it('draws the CSAT trend on the surveys\' 10-point scale (daily averages 9, 8 and 6 are visible)', async () => {
    // the average line is amber (#b45309); the bars of the survey counts are gray
    const amber = await page.$eval('#chart-csat-trend canvas', (c) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs((d[i] ?? 0) - 180) < 30 && Math.abs((d[i + 1] ?? 0) - 83) < 30 && (d[i + 2] ?? 0) < 60 && (d[i + 3] ?? 0) > 200) n++;
      return n;
    });
    expect(amber).toBeGreaterThan(100);
  });

  it('shows the figures of the period chosen last, even when an earlier choice answers later', async () => {
    await page.click('#live'); // paused: no poll corrects the page afterwards
    expect(await page.getAttribute('#live', 'aria-pressed')).toBe('false');
    await page.route('**/api/dashboard/**', async (route) => {
      if (route.request().url().includes('since=30d')) await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    const slow = page.waitForResponse((r) => r.url().includes('/summary') && r.url().includes('since=30d'));
    await page.selectOption('#period', '30d');
    await page.selectOption('#period', '7d');
    await slow;
    await page.waitForTimeout(300);
    expect(await page.inputValue('#period')).toBe('7d');
    expect(await page.$eval('[data-kpi="interactions"]', (e) => (e as HTMLElement).dataset.value)).toBe('4');
    expect(problems).toEqual([]);
  });
});
