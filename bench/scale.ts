/**
 * `npm run bench:scale -- [--interactions N] [--days D] [--ingest-hours H] [--time-scale X] [--seed N] [--replicas 1,2,3] [--json]`
 *
 * Scale-out in one run: webhook ingest throughput and sync wall time with 1, 2 and 3 `tajo serve` replicas on one
 * Postgres, against the single-process SQLite figure. The replicas (`tajo serve` from the sources) and Postgres are
 * their own processes; the emulators and the load generator (`twilio.push`: signed TaskRouter callbacks, one request
 * per event) run in this process. Per phase it samples the CPU time of each (from /proc) to say where the bottleneck
 * is: on a small machine replicas, database and load generator share the cores, so flat scaling is expected when the
 * machine (or the load generator's single event loop) is saturated; the report shows which share grew.
 *
 *  - ingest: `--role ingest` replicas; the last `--ingest-hours` of TaskRouter events split in N time slices, each
 *    pushed at one replica (16 concurrent deliveries per replica, every event delivered twice as Twilio retries do);
 *    rps = deliveries acknowledged per second (each one verified and committed in the inbox before its 2xx).
 *  - sync: `--role worker --sync-every` replicas on a fresh store; "read" = until both sync partitions (TaskRouter,
 *    Conversations) finished their first run, "end to end" = until the outbox is drained to Brevo as well.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/test-helpers/runCli.js';
import { startEmulator, type RunningEmulator } from '../src/emulators/index.js';
import { startReplica } from '../src/scale/test-helpers/cluster.js';
import { openStore } from '../src/store/openStore.js';
import { createTestDatabase, postgresAvailable } from '../src/store/postgres/test-helpers/testDatabase.js';
import type { Store } from '../src/store/store.js';

interface Opts { interactions: number; days: number; ingestHours: number; timeScale: number; seed: number; replicas: number[]; json: boolean }
interface Config { label: string; backend: 'sqlite' | 'postgres'; replicas: number }
interface CpuShare {
  /** Percent of the whole machine (all cores); `loadgen` = this process (emulators + load generator). */
  replicas: number; postgres: number; loadgen: number; total: number;
  /** Busy share of the machine not from this bench's processes. */
  others: number;
  /** Cores used by the busiest replica and by the load generator (a single event loop saturates at 1). */
  maxReplicaCores: number; loadgenCores: number;
}
interface PhaseResult { wallMs: number; cpu: CpuShare; bottleneck: string }
interface Row {
  config: string;
  ingest: PhaseResult & { deliveries: number; rps: number; failures: number };
  sync: PhaseResult & { readMs: number; e2eMs: number; outbox: number; tooManyRequests: number; tooManyBy: Record<string, number>; brevoCalls: Record<string, number> };
}

const CORES = availableParallelism();
const TICK = 100; // USER_HZ on Linux

function parseArgs(argv: string[]): Opts {
  const o: Opts = { interactions: 2_000, days: 7, ingestHours: 24, timeScale: 20, seed: 7, replicas: [1, 2, 3], json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => argv[++i] ?? '';
    if (a === '--interactions') o.interactions = Number(val());
    else if (a === '--days') o.days = Number(val());
    else if (a === '--ingest-hours') o.ingestHours = Number(val());
    else if (a === '--time-scale') o.timeScale = Number(val());
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--replicas') o.replicas = val().split(',').map(Number).filter((n) => n > 0);
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

// --- CPU accounting from /proc (Linux) ---------------------------------------------------------------------------

function procTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return 0;
  }
}

/**
 * Postgres processes serving this bench (read-only scan of /proc): backends connected to `db` and the shared
 * auxiliary processes (WAL writer, checkpointer…); backends of other databases (other users of the server) are not.
 */
function postgresPids(db: string | undefined): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== 'postgres') continue;
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const backend = /\(\d+\)/.test(cmd) || /\[local\]/.test(cmd);
      if (!backend || (db !== undefined && cmd.includes(` ${db} `))) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

/** Busy ticks of the whole machine (all processes, all cores) from /proc/stat. */
function machineBusyTicks(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return total - (f[3] ?? 0) - (f[4] ?? 0); // minus idle and iowait
}

class CpuMeter {
  private start = new Map<string, number>();
  private t0 = Date.now();
  constructor(private readonly pids: () => { replicas: number[]; loadgen: number; db?: string | undefined }) {}
  begin(): void {
    this.t0 = Date.now();
    this.start = this.sample();
  }
  private sample(): Map<string, number> {
    const m = new Map<string, number>();
    const p = this.pids();
    for (const pid of p.replicas) m.set(`r${pid}`, procTicks(pid));
    m.set('loadgen', procTicks(p.loadgen));
    for (const pid of postgresPids(p.db)) m.set(`pg${pid}`, procTicks(pid));
    m.set('machine', machineBusyTicks());
    return m;
  }
  /** CPU used since `begin`, as a share of the machine (all cores) over the wall time. */
  end(): { wallMs: number; cpu: CpuShare } {
    const wallMs = Date.now() - this.t0;
    const now = this.sample();
    const d = (k: string) => Math.max(0, (now.get(k) ?? 0) - (this.start.get(k) ?? 0)) / TICK;
    let replicas = 0;
    let postgres = 0;
    let maxReplica = 0;
    for (const k of now.keys()) {
      if (k.startsWith('r')) {
        replicas += d(k);
        maxReplica = Math.max(maxReplica, d(k));
      } else if (k.startsWith('pg')) postgres += d(k);
    }
    const capacity = (wallMs / 1000) * CORES;
    const share = (s: number) => Math.round((s / capacity) * 1000) / 10;
    const cores = (s: number) => Math.round((s / (wallMs / 1000)) * 100) / 100;
    const cpu = {
      replicas: share(replicas), postgres: share(postgres), loadgen: share(d('loadgen')), total: 0, others: 0,
      maxReplicaCores: cores(maxReplica), loadgenCores: cores(d('loadgen')),
    };
    cpu.total = Math.round((cpu.replicas + cpu.postgres + cpu.loadgen) * 10) / 10;
    // Other processes on the machine (e.g. a CI run): they take cores from the bench and make figures noisy.
    cpu.others = Math.max(0, Math.round((share(d('machine')) - cpu.total) * 10) / 10);
    return { wallMs, cpu };
  }
}

/** Where the time goes, from the CPU shares: saturated machine, a saturated single event loop, or neither. */
function bottleneck(cpu: CpuShare, extra?: string): string {
  const parts: [string, number][] = [['replicas', cpu.replicas], ['postgres', cpu.postgres], ['emulators + load generator', cpu.loadgen]];
  parts.sort((a, b) => b[1] - a[1]);
  const top = parts.slice(0, 2).map(([n, s]) => `${n} ${s}%`).join(', ');
  const machine = Math.round((cpu.total + cpu.others) * 10) / 10;
  const noisy = cpu.others >= 20 ? ` [other processes took ${cpu.others}% of the machine: not representative]` : '';
  const others = cpu.others >= 5 ? `, other processes ${cpu.others}%` : '';
  if (machine >= 85) return `CPU: the ${CORES} cores are saturated (${machine}%: ${top}${others}); more replicas only share the same cores${noisy}`;
  if (cpu.loadgenCores >= 0.75) return `load generator: the emulators' single event loop at ${cpu.loadgenCores} core (signing, sending, serving); machine at ${machine}%${noisy}`;
  if (cpu.maxReplicaCores >= 0.75) return `replica CPU: the busiest replica's event loop at ${cpu.maxReplicaCores} core; machine at ${machine}%${noisy}`;
  if (extra) return `${extra}; machine at ${machine}%${noisy}`;
  return `latency (round trips), not CPU: machine at ${machine}% (${top}${others})${noisy}`;
}

// --- one configuration ---------------------------------------------------------------------------------------------

async function freshStore(c: Config): Promise<{ env: NodeJS.ProcessEnv; dir: string; dbName?: string; store: () => Promise<Store>; drop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tajo-bench-scale-'));
  const env: NodeJS.ProcessEnv = { TAJO_MASTER_KEY: 'c'.repeat(64) };
  let drop = async (): Promise<void> => undefined;
  let dbName: string | undefined;
  if (c.backend === 'postgres') {
    const db = await createTestDatabase();
    env.TAJO_DATABASE_URL = db.url;
    dbName = db.name;
    drop = db.drop;
  }
  return {
    env,
    dir,
    ...(dbName ? { dbName } : {}),
    store: () => openStore({ dataDir: dir, ...(env.TAJO_DATABASE_URL ? { url: env.TAJO_DATABASE_URL } : {}) }),
    drop: async () => {
      await drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function install(emu: RunningEmulator, s: Awaited<ReturnType<typeof freshStore>>): Promise<string[]> {
  const r = await runCli(['--data-dir', s.dir, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url], { env: s.env });
  if (r.code !== 0) throw new Error(`install failed: ${r.stderr}`);
  const boot = (await runCli(['--json', '--data-dir', s.dir, 'connectors', 'bootstrap', 'twilio-flex', '--create-lists'], { env: s.env })).json<{ lists: { key: string; id: number }[] }>();
  const cfg = join(s.dir, 'tajo.yaml');
  writeFileSync(cfg, `connectors:\n  twilio_flex:\n    lists:\n${boot.lists.map((l) => `      ${l.key}: ${l.id}\n`).join('')}`);
  return ['--config', cfg, '--data-dir', s.dir];
}

const procEnv = (s: { env: NodeJS.ProcessEnv }, level = 'warn'): NodeJS.ProcessEnv => ({ ...process.env, ...s.env, TAJO_LOG_LEVEL: level });

async function ingestPhase(emu: RunningEmulator, c: Config, range: { since: number; until: number }): Promise<Row['ingest']> {
  const s = await freshStore(c);
  const base = await install(emu, s);
  const replicas = await Promise.all(Array.from({ length: c.replicas }, () => startReplica([...base, '--json', 'serve', '--role', 'ingest', '--port', '0'], procEnv(s))));
  const meter = new CpuMeter(() => ({ replicas: replicas.map((r) => r.child.pid!), loadgen: process.pid, db: s.dbName }));
  const slice = (range.until - range.since) / c.replicas;
  meter.begin();
  const results = await Promise.all(replicas.map(async (r, i) => {
    const body = {
      // Every event delivered twice (Twilio retries): the second is verified and deduped by the inbox's unique key.
      kind: 'taskrouter' as const, url: `${r.url}/webhooks/twilio/taskrouter`, concurrency: 16, maxRetries: 2, duplicateRate: 1, shuffle: true,
      since: new Date(range.since + i * slice).toISOString(), until: new Date(range.since + (i + 1) * slice - (i + 1 < c.replicas ? 1 : 0)).toISOString(),
    };
    return emu.twilio.push(body);
  }));
  const m = meter.end();
  await Promise.all(replicas.map((r) => r.kill()));
  await s.drop();
  const deliveries = results.reduce((a, r) => a + r.sent + r.duplicates, 0);
  return { ...m, deliveries, rps: Math.round(deliveries / (m.wallMs / 1000)), failures: results.reduce((a, r) => a + r.failures, 0), bottleneck: bottleneck(m.cpu) };
}

async function syncPhase(emu: RunningEmulator, c: Config): Promise<Row['sync']> {
  const s = await freshStore(c);
  const base = await install(emu, s);
  const before = rateLimited(emu);
  const callsBefore = brevoCalls(emu);
  const store = await s.store();
  const spawned = Date.now();
  const replicas = await Promise.all(Array.from({ length: c.replicas }, () =>
    startReplica([...base, '--json', 'serve', '--role', 'worker', '--sync-every', '3600', '--lease-seconds', '15'], procEnv(s, 'info'))));
  const meter = new CpuMeter(() => ({ replicas: replicas.map((r) => r.child.pid!), loadgen: process.pid, db: s.dbName }));
  // CPU is sampled from the first sync lease on (replicas wait a heartbeat before taking partitions).
  while (!replicas.some((r) => r.logs().includes('sync lease acquired'))) {
    if (Date.now() - spawned > 60_000) throw new Error('no replica took a sync partition');
    await new Promise((r) => setTimeout(r, 20));
  }
  meter.begin();
  // From the replicas' logs (pino JSON lines with `time`): the first sync lease taken = start; both partitions'
  // first runs finished ok = end of the read.
  const timeline = () => {
    let start = Number.POSITIVE_INFINITY;
    let end = 0;
    const done = new Set<string>();
    for (const line of replicas.flatMap((r) => r.logs().split('\n'))) {
      if (!line.includes('sync lease acquired') && !line.includes('scheduled sync finished')) continue;
      let o: { time?: number; msg?: string; leases?: string[]; status?: string };
      try {
        o = JSON.parse(line) as typeof o;
      } catch {
        continue;
      }
      if (o.msg === 'sync lease acquired') start = Math.min(start, o.time ?? start);
      if (o.msg === 'scheduled sync finished' && o.status === 'ok') {
        for (const l of o.leases ?? []) done.add(l.split(':')[2] ?? l);
        end = Math.max(end, o.time ?? 0);
      }
    }
    return { start, end, finished: done.has('taskrouter') && done.has('conversations') };
  };
  while (!timeline().finished) {
    if (Date.now() - spawned > 15 * 60_000) throw new Error('sync did not finish in 15 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  const tl = timeline();
  const t0 = Number.isFinite(tl.start) ? tl.start : spawned;
  const readMs = tl.end - t0;
  let outbox = 0;
  for (;;) {
    const st = await store.outboxStats();
    outbox = st.delivered + st.dead;
    if (st.pending + st.inflight === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const e2eMs = Date.now() - t0;
  const m = meter.end();
  await Promise.all(replicas.map((r) => r.kill()));
  await store.close();
  await s.drop();
  const tooManyBy: Record<string, number> = {};
  for (const [k, v] of Object.entries(rateLimited(emu))) if (v - (before[k] ?? 0) > 0) tooManyBy[k] = v - (before[k] ?? 0);
  const tooManyRequests = Object.values(tooManyBy).reduce((a, b) => a + b, 0);
  const callsAfter = brevoCalls(emu);
  const calls = Object.fromEntries(Object.entries(callsAfter).map(([k, v]) => [k, v - (callsBefore[k] ?? 0)]).filter(([, v]) => Number(v) > 0));
  const paced = `read paced by the TaskRouter partition (one sequential loop on one replica: pages → derive → commit), ` +
    `then a ${((e2eMs - readMs) / 1000).toFixed(1)} s delivery tail (Brevo rate budgets, shared by the replicas)`;
  return { ...m, readMs, e2eMs, outbox, tooManyRequests, tooManyBy, brevoCalls: calls, bottleneck: bottleneck(m.cpu, paced) };
}

/** Brevo calls per endpoint so far (the emulator's request log). */
function brevoCalls(emu: RunningEmulator): Record<string, number> {
  return Object.fromEntries(Object.entries(emu.brevo.requestLog().endpoints).map(([k, v]) => [k, v.total]));
}

/** 429s answered so far, by vendor bucket (Brevo) and endpoint (Twilio). */
function rateLimited(emu: RunningEmulator): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(emu.brevo.requestLog().rateLimited.byBucket)) out[`brevo ${k}`] = v;
  for (const [k, v] of Object.entries(emu.twilio.requestLog())) out[`twilio ${k}`] = v.rateLimited;
  return out;
}

function render(rows: Row[], o: Opts): string[] {
  const pct = (c: CpuShare) => `repl ${c.replicas}% pg ${c.postgres}% gen ${c.loadgen}% other ${c.others}% (busiest replica ${c.maxReplicaCores} core, gen ${c.loadgenCores} core)`;
  const lines = [
    `Scale-out bench: ${o.interactions} interactions over ${o.days} days (seed ${o.seed}), time scale ×${o.timeScale}, ${CORES} cores; CPU shares are of the whole machine (gen = emulators + load generator, this process)`,
    '',
    'Webhook ingest (signed TaskRouter callbacks, each committed to the inbox before its 2xx)',
    `  ${'config'.padEnd(14)} ${'deliveries'.padStart(10)} ${'wall s'.padStart(7)} ${'rps'.padStart(6)}  cpu`,
  ];
  for (const r of rows) lines.push(`  ${r.config.padEnd(14)} ${String(r.ingest.deliveries).padStart(10)} ${(r.ingest.wallMs / 1000).toFixed(1).padStart(7)} ${String(r.ingest.rps).padStart(6)}  ${pct(r.ingest.cpu)}${r.ingest.failures ? `  (${r.ingest.failures} failed)` : ''}\n  ${''.padEnd(14)} bottleneck: ${r.ingest.bottleneck}`);
  lines.push('', 'Full sync (first scheduled run of both partitions; then the outbox drained to Brevo)');
  lines.push(`  ${'config'.padEnd(14)} ${'read s'.padStart(7)} ${'e2e s'.padStart(7)} ${'writes'.padStart(7)} ${'429s'.padStart(5)}  cpu`);
  for (const r of rows) lines.push(`  ${r.config.padEnd(14)} ${(r.sync.readMs / 1000).toFixed(1).padStart(7)} ${(r.sync.e2eMs / 1000).toFixed(1).padStart(7)} ${String(r.sync.outbox).padStart(7)} ${String(r.sync.tooManyRequests).padStart(5)}  ${pct(r.sync.cpu)}\n  ${''.padEnd(14)} bottleneck: ${r.sync.bottleneck}`);
  lines.push('', 'Brevo calls during the sync (per endpoint)');
  for (const r of rows) {
    const limited = Object.entries(r.sync.tooManyBy).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`  ${r.config.padEnd(14)} ${Object.entries(r.sync.brevoCalls).map(([k, v]) => `${k} ${v}`).join(', ')}${limited ? `; 429s: ${limited}` : ''}`);
  }
  lines.push('', 'Sync partitions: 2 (TaskRouter workspace, Conversations service); a third replica has no partition to own.');
  return lines;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const configs: Config[] = [{ label: 'sqlite ×1', backend: 'sqlite', replicas: 1 }];
  if (await postgresAvailable()) for (const n of o.replicas) configs.push({ label: `postgres ×${n}`, backend: 'postgres', replicas: n });
  else console.error('! no Postgres at TAJO_TEST_DATABASE_URL: only the SQLite figure');
  console.error(`… generating the world (${o.interactions} interactions over ${o.days} days)`);
  const emu = await startEmulator({
    seed: o.seed, scale: 'small', timeScale: o.timeScale,
    generator: { interactions: o.interactions, customers: Math.round(o.interactions * 0.7), agents: 20, days: o.days, truthEvents: false },
  });
  const rows: Row[] = [];
  try {
    const now = emu.clock.nowMs();
    const range = { since: now - o.ingestHours * 3_600_000, until: now };
    for (const c of configs) {
      // Every configuration starts from an empty Brevo with full buckets (the catch-all is 100 calls per emulated
      // hour: left over from the previous configuration it would turn batches and imports into single calls).
      emu.brevo.reset();
      emu.twilio.resetRequestLog();
      console.error(`… ${c.label}: ingest`);
      const ingest = await ingestPhase(emu, c, range);
      emu.brevo.reset();
      emu.twilio.resetRequestLog();
      console.error(`… ${c.label}: sync`);
      const sync = await syncPhase(emu, c);
      rows.push({ config: c.label, ingest, sync });
    }
  } finally {
    await emu.close();
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ cores: CORES, ...o, rows }, null, 2)}\n`);
  else process.stdout.write(`${render(rows, o).join('\n')}\n`);
}

await main();
