/**
 * `npm run bench:report -- [--scale reference|small] [--seed N] [--calls N] [--dir DIR] [--rebuild] [--json]`
 *
 * Support analytics at the reference scale (12,400 interactions, 45 agents, 30 days): the emulator's world is synced
 * once (runSync, SQLite store) into bench/out/ and reused. Then:
 * - `tajo report`: the computation in process (buildReport + tables), and the real CLI process (`node bin/tajo.js
 *   report --json`, Node start-up included; needs `npm run build`), with the figures checked against the generator's
 *   ground truth;
 * - the dashboard API (`GET /api/dashboard/*` over HTTP, `--calls` sequential calls per section): as `tajo serve`
 *   serves it (stale-while-revalidate: answered from the last computation, refreshed in the background) and computed
 *   on every call (`freshMs: 0`), p50/p95.
 * Targets: report < 1 s, API < 100 ms.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildReport } from '../src/analytics/report.js';
import { renderReport } from '../src/analytics/text.js';
import type { Report } from '../src/analytics/types.js';
import { ConfigSchema, TwilioFlexConfigSchema } from '../src/config/schema.js';
import { silentLogger } from '../src/core/logger.js';
import { computeTruth } from '../src/emulators/generator/index.js';
import { startEmulator } from '../src/emulators/index.js';
import { budgetsForTwilio } from '../src/engine/budget.js';
import { runSync } from '../src/engine/sync/index.js';
import { startServer } from '../src/server/app.js';
import { startDashboardServer } from '../src/server/dashboardRoutes.js';
import { openStore } from '../src/store/openStore.js';
import type { Store } from '../src/store/store.js';

interface Opts {
  scale: 'reference' | 'small';
  seed: number;
  calls: number;
  dir: string | undefined;
  rebuild: boolean;
  json: boolean;
}

function parseArgs(argv: string[]): Opts {
  const o: Opts = { scale: 'reference', seed: 7, calls: 50, dir: undefined, rebuild: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--scale') {
      const s = val();
      if (s !== 'reference' && s !== 'small') throw new Error('--scale must be reference or small');
      o.scale = s;
    } else if (a === '--seed') o.seed = Number(val());
    else if (a === '--calls') o.calls = Math.max(1, Number(val()));
    else if (a === '--dir') o.dir = val();
    else if (a === '--rebuild') o.rebuild = true;
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

interface Meta {
  seed: number;
  scale: string;
  nowMs: number;
  syncS: number;
}

const CONNECTOR = 'twilio-flex';
const TIME_SCALE = 1000;
const log = (s: string) => process.stderr.write(`${s}\n`);

/** Generates the world and syncs it into `dir` once (minutes at the reference scale); later runs reuse both. */
async function ensureStore(dir: string, o: Opts): Promise<Meta> {
  const metaFile = join(dir, 'meta.json');
  if (!o.rebuild && existsSync(metaFile) && existsSync(join(dir, 'tajo.db'))) return JSON.parse(readFileSync(metaFile, 'utf8')) as Meta;
  for (const f of ['tajo.db', 'tajo.db-wal', 'tajo.db-shm', 'world.sqlite', 'world.sqlite-wal', 'world.sqlite-shm', 'meta.json']) rmSync(join(dir, f), { force: true });
  mkdirSync(dir, { recursive: true });
  log(`building the ${o.scale} store in ${dir} (generate the world, full sync; reused by later runs)…`);
  const emulator = await startEmulator({ seed: o.seed, scale: o.scale, timeScale: TIME_SCALE, worldPath: join(dir, 'world.sqlite') });
  const store = await openStore({ dataDir: dir });
  try {
    const i = emulator.info;
    const at = new Date().toISOString();
    const connector = {
      id: CONNECTOR, status: 'active' as const, installedAt: at, updatedAt: at,
      settings: { accountSid: i.accountSid, flexFlowSid: i.flexFlowSid, workspaceSid: i.workspaceSid, authMode: 'auth_token' as const, baseUrls: i.twilio, brevoBaseUrl: i.brevo },
    };
    await store.saveConnector(connector);
    const lists = { support_contacts: 1, csat_respondents: 2 };
    const t0 = Date.now();
    const r = await runSync(
      { store, config: TwilioFlexConfigSchema.parse({ lists }), connector, secrets: { authToken: i.authToken }, logger: silentLogger(), budgets: budgetsForTwilio(i.workspaceSid, TIME_SCALE), listIds: lists, nowMs: () => emulator.clock.nowMs() },
      { type: 'full' },
    );
    if (r.status !== 'ok') throw new Error(`sync ${r.status}: ${r.statusReason ?? ''}`);
    const meta: Meta = { seed: o.seed, scale: o.scale, nowMs: emulator.truth().nowMs, syncS: Math.round((Date.now() - t0) / 100) / 10 };
    writeFileSync(metaFile, JSON.stringify(meta));
    return meta;
  } finally {
    await store.close();
    await emulator.close();
  }
}

const quantile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const ms = (x: number) => Math.round(x * 10) / 10;

/** Report figures vs the generator's ground truth (queues, agents, channels, CSAT). */
function checkTruth(dir: string, meta: Meta, r: Report): string[] {
  const db = new Database(join(dir, 'world.sqlite'), { readonly: true });
  try {
    const options = db.prepare("SELECT value FROM gen_state WHERE key = 'options'").get() as { value: string };
    const { queues } = JSON.parse(options.value) as { queues: number };
    const t = computeTruth(db, meta.nowMs, { truthEvents: false, serviceLevelSeconds: 20, queues }).metrics;
    const keyed = (rows: object[], f: string[]) => new Set(rows.map((x) => JSON.stringify(f.map((k) => (x as Record<string, unknown>)[k]))));
    const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
    const qf = ['queue_sid', 'day', 'channel', 'entered', 'answered', 'abandoned', 'wait_p50', 'wait_p90', 'wait_max', 'answered_within_sl'];
    const af = ['worker_sid', 'day', 'tasks_handled', 'avg_handle', 'p90_handle', 'avg_wrapup', 'time_available', 'time_busy', 'time_break', 'time_offline', 'avg_csat'];
    const bad: string[] = [];
    if (!same(keyed(r.queues ?? [], qf), keyed(t.queues, qf))) bad.push('queues');
    if (!same(keyed(r.agents ?? [], af), keyed(t.agents, af))) bad.push('agents');
    if (JSON.stringify(r.channels) !== JSON.stringify(t.channels)) bad.push('channels');
    if (JSON.stringify({ count: r.csat?.count, avg: r.csat?.avg, distribution: r.csat?.distribution }) !== JSON.stringify(t.csat)) bad.push('csat');
    return bad;
  } finally {
    db.close();
  }
}

async function timeInProcess(store: Store, meta: Meta, runs = 5): Promise<number[]> {
  const cfg = TwilioFlexConfigSchema.parse({});
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await buildReport(store, CONNECTOR, { untilMs: meta.nowMs, nowMs: meta.nowMs, serviceLevelSeconds: cfg.service_level_seconds, lowScoreThreshold: cfg.csat_low_score_threshold });
    renderReport(r);
    out.push(performance.now() - t0);
  }
  return out;
}

/** `tajo --version`: the CLI's start-up alone (Node + module loading), the floor of any command. */
function timeStartup(runs = 3): number[] {
  const bin = join(process.cwd(), 'bin', 'tajo.js');
  if (!existsSync(join(process.cwd(), 'dist', 'cli', 'main.js'))) return [];
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    times.push(performance.now() - t0);
  }
  return times;
}

function timeCli(dir: string, meta: Meta, runs = 3): { times: number[]; report: Report | undefined; note?: string } {
  const bin = join(process.cwd(), 'bin', 'tajo.js');
  if (!existsSync(join(process.cwd(), 'dist', 'cli', 'main.js'))) return { times: [], report: undefined, note: 'dist/ missing: run `npm run build` to time the CLI process' };
  const times: number[] = [];
  let report: Report | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const out = execFileSync(process.execPath, [bin, '--json', '--data-dir', dir, 'report', '--until', new Date(meta.nowMs).toISOString(), '--now', String(meta.nowMs)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    times.push(performance.now() - t0);
    report = JSON.parse(out) as Report;
  }
  return { times, report };
}

const SECTIONS = ['summary', 'queues', 'agents', 'csat', 'channels', 'health'];

async function timeApi(base: string, meta: Meta, calls: number): Promise<Record<string, { p50: number; p95: number; max: number }>> {
  const out: Record<string, { p50: number; p95: number; max: number }> = {};
  const q = `until=${encodeURIComponent(new Date(meta.nowMs).toISOString())}`;
  for (const s of SECTIONS) {
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/dashboard/${s}?${q}`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${s}: HTTP ${res.status}`);
      times.push(performance.now() - t0);
    }
    out[s] = { p50: ms(quantile(times, 50)), p95: ms(quantile(times, 95)), max: ms(Math.max(...times)) };
  }
  return out;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dir = o.dir ?? join(process.cwd(), 'bench', 'out', `analytics-${o.scale}-${o.seed}`);
  const meta = await ensureStore(dir, o);
  const store = await openStore({ dataDir: dir });
  const counts = await store.counts(CONNECTOR);
  const inProcess = await timeInProcess(store, meta);
  const cli = timeCli(dir, meta);
  const startup = timeStartup();
  const check = await buildReport(store, CONNECTOR, { untilMs: meta.nowMs, nowMs: meta.nowMs, serviceLevelSeconds: 20, lowScoreThreshold: 2 });
  const mismatches = checkTruth(dir, meta, cli.report ?? check);

  const config = ConfigSchema.parse({});
  const serve = await startServer({ store, config, logger: silentLogger(), twilioAuthToken: 'x'.repeat(32), accountSid: 'AC' + '0'.repeat(32), host: '127.0.0.1', port: 0, rateLimit: false });
  const served = await timeApi(serve.url, meta, o.calls);
  await serve.close();
  const cold = await startDashboardServer({ store, config, logger: silentLogger(), host: '127.0.0.1', port: 0, freshMs: 0 });
  const computed = await timeApi(cold.url, meta, Math.min(o.calls, 50));
  await cold.close();
  await store.close();

  const reportMs = cli.times.length ? quantile(cli.times, 50) : quantile(inProcess, 50);
  const apiWorst = Math.max(...Object.values(served).map((v) => v.p95));
  const result = {
    scale: o.scale, seed: o.seed, dir, counts, syncS: meta.syncS,
    report: { inProcessMs: { min: ms(Math.min(...inProcess)), p50: ms(quantile(inProcess, 50)) }, cliMs: cli.times.map(ms), cliStartupMs: startup.map(ms), ...(cli.note ? { note: cli.note } : {}), equalsTruth: mismatches.length === 0, mismatches },
    api: { calls: o.calls, served, computedEveryCall: computed },
    targets: { reportUnder1s: reportMs < 1000, apiUnder100ms: apiWorst < 100 },
    load: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100),
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const lines = [
    `Support analytics bench — ${o.scale} (seed ${o.seed}): ${counts.interactions.toLocaleString('en-US')} interactions, ${counts.surveys.toLocaleString('en-US')} surveys, ${counts.rawEvents.toLocaleString('en-US')} raw events, ${counts.workers} workers (store synced in ${meta.syncS} s, reused)`,
    `load average ${result.load.join(' ')} on ${(await import('node:os')).cpus().length} CPUs`,
    '',
    `tajo report   in process (5 runs): min ${result.report.inProcessMs.min} ms, p50 ${result.report.inProcessMs.p50} ms`,
    `              CLI process (node bin/tajo.js report --json): ${cli.times.length ? cli.times.map((t) => `${ms(t)} ms`).join(', ') : cli.note}`,
    ...(startup.length ? [`              of which CLI start-up (tajo --version): ${startup.map((t) => `${ms(t)} ms`).join(', ')}`] : []),
    `              figures equal the generator's ground truth: ${mismatches.length === 0 ? 'yes' : `NO (${mismatches.join(', ')})`}`,
    '',
    `dashboard API (${o.calls} sequential calls per section)   served (tajo serve)      computed on every call`,
    ...SECTIONS.map((s) => `  /api/dashboard/${s.padEnd(9)}  p50 ${String(served[s]?.p50).padStart(6)} ms  p95 ${String(served[s]?.p95).padStart(6)} ms    p50 ${String(computed[s]?.p50).padStart(6)} ms  p95 ${String(computed[s]?.p95).padStart(6)} ms`),
    '',
    `targets: report < 1 s ${result.targets.reportUnder1s ? 'met' : 'MISSED'} (${ms(reportMs)} ms); API p95 < 100 ms ${result.targets.apiUnder100ms ? 'met' : 'MISSED'} (worst ${apiWorst} ms)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (mismatches.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
