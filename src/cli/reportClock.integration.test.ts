/**
 * One clock and one time-zone rule for `tajo report`, the dashboard API and `sync --since`: the "now" of a report and
 * of its relative ranges (`7d`) is the vendors' clock, the one the sync reads up to (an emulator's own world clock for
 * a connector installed with --emulator), and a date-time without a zone is UTC everywhere, whatever this machine's
 * zone is.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../analytics/types.js';
import { ConfigSchema } from '../config/schema.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { TajoClient } from '../sdk/client.js';
import { startDashboardServer } from '../server/dashboardRoutes.js';
import { SqliteStore } from '../store/sqlite/sqliteStore.js';
import { runCli, tempDir } from './test-helpers/runCli.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
let dir: { path: string; cleanup(): Promise<void> };
let emu: RunningEmulator;
let args: string[];
let emuNow: number;
const savedTz = process.env.TZ;

/** `2026-01-01T00:00` of an instant, without a zone. */
const zoneless = (ms: number) => new Date(ms).toISOString().slice(0, 16);

beforeAll(async () => {
  // a zone west of UTC: a zone-less date-time read as local time lands 4-5 hours later than read as UTC
  process.env.TZ = 'America/New_York';
  expect(new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset()).toBe(300);
  dir = await tempDir();
  // a world 60 days behind this machine's clock: its "last 7 days" are two months in the machine's past
  emu = await startEmulator({ seed: 61, scale: 'small', now: Date.now() - 60 * DAY_MS });
  args = ['--data-dir', dir.path];
  expect((await runCli([...args, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url])).code).toBe(0);
  const sync = await runCli(['--json', ...args, 'connectors', 'sync', 'twilio-flex', '--type', 'full', '--no-deliver']);
  expect(sync.code, sync.stdout + sync.stderr).toBe(0);
  emuNow = ((await (await fetch(`${emu.url}/_emulator/clock`)).json()) as { nowMs: number }).nowMs;
}, 180_000);
afterAll(async () => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
  await emu?.close();
  await dir?.cleanup();
});

/** The report of the same range with an explicit clock (`--now`): what the vendors' clock must give without it. */
async function reportAt(nowMs: number, since: string): Promise<Report> {
  const r = await runCli(['--json', ...args, 'report', '--since', since, '--now', String(nowMs)]);
  expect(r.code, r.stderr).toBe(0);
  return r.json<Report>();
}

function captureLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const base = silentLogger();
  const logger = new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === 'warn') return (...a: unknown[]) => warnings.push(a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' '));
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return { logger, warnings };
}

async function dashboard<T>(query: string, logger: Logger = silentLogger()): Promise<T> {
  const store = await SqliteStore.open(join(dir.path, 'tajo.db'));
  const server = await startDashboardServer({ store, config: ConfigSchema.parse({}), logger, host: '127.0.0.1', port: 0, freshMs: 0 });
  try {
    const res = await fetch(`${server.url}/api/dashboard/summary?${query}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as T;
  } finally {
    await server.close();
    await store.close();
  }
}

describe("report and dashboard take 'now' from the vendors' clock (an emulator world 60 days behind the real one)", () => {
  it("report --since 7d covers the synced interactions of the world's last 7 days", async () => {
    const r = await runCli(['--json', ...args, 'report', '--since', '7d']);
    expect(r.code, r.stderr).toBe(0);
    const rep = r.json<Report>();
    const generated = Date.parse(rep.generated_at);
    expect(Math.abs(generated - emuNow)).toBeLessThan(HOUR_MS);
    expect(Date.parse(rep.range.since ?? '')).toBe(generated - 7 * DAY_MS);
    expect(rep.summary?.interactions).toBeGreaterThan(0);
    expect(rep.summary).toEqual((await reportAt(generated, '7d')).summary);
  });

  it('the dashboard API likewise (since=7d)', async () => {
    const rep = await dashboard<Report>('since=7d');
    const generated = Date.parse(rep.generated_at);
    expect(Math.abs(generated - emuNow)).toBeLessThan(HOUR_MS);
    expect(rep.summary?.interactions).toBeGreaterThan(0);
    expect(rep.summary).toEqual((await reportAt(generated, '7d')).summary);
  });
});

describe('a date-time without a zone is UTC in sync --since, the SDK, report and the dashboard (this machine: America/New_York)', () => {
  it('report and dashboard: 2026-01-01T00:00 is 2026-01-01T00:00:00.000Z', async () => {
    const r = await runCli(['--json', ...args, 'report', '--since', '2026-01-01T00:00', '--until', '2026-01-02T00:00+01:00']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<Report>().range).toEqual({ since: '2026-01-01T00:00:00.000Z', until: '2026-01-01T23:00:00.000Z' });
    expect((await dashboard<Report>('since=2026-01-01T00:00')).range.since).toBe('2026-01-01T00:00:00.000Z');
  });

  it('connectors sync --since: a zone-less time 2 h before the world\'s now is in its past (read as New York time it would be 3 h after)', async () => {
    const since = zoneless(emuNow - 2 * HOUR_MS);
    const r = await runCli(['--json', ...args, 'connectors', 'sync', 'twilio-flex', '--type', 'full', '--dry-run', '--since', since]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json<{ status: string }>().status).toBe('ok');
    // and one 2 h after it is refused, naming the UTC instant it was read as
    const later = zoneless(emuNow + 2 * HOUR_MS);
    const refused = await runCli(['--json', ...args, 'connectors', 'sync', 'twilio-flex', '--type', 'full', '--dry-run', '--since', later]);
    expect(refused.code).toBe(64);
    expect(refused.json<{ error: { message: string } }>().error.message).toContain(`since ${later}:00.000Z is in the future`);
  });

  it('the SDK (TajoClient.connectors.sync) reads since alike', async () => {
    const client = new TajoClient({ dataDir: dir.path, env: {} });
    try {
      const rep = await client.connectors.sync('twilio-flex', { type: 'full', dryRun: true, since: zoneless(emuNow - 2 * HOUR_MS) });
      expect(rep.status).toBe('ok');
    } finally {
      await client.close();
    }
  });
});

describe('an emulator that does not answer never breaks the report', () => {
  it("report and dashboard fall back to this machine's clock, with a warning", async () => {
    await emu.close();
    const r = await runCli(['--json', ...args, 'report', '--since', '7d']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/did not answer for its clock: times are on this machine's clock/);
    expect(Math.abs(Date.parse(r.json<Report>().generated_at) - Date.now())).toBeLessThan(60_000);
    const { logger, warnings } = captureLogger();
    const rep = await dashboard<Report>('since=7d', logger);
    expect(Math.abs(Date.parse(rep.generated_at) - Date.now())).toBeLessThan(60_000);
    expect(warnings.join('\n')).toMatch(/did not answer for its clock/);
  });
});
