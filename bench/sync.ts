/**
 * `npm run bench:sync -- [--scale small|reference|large] [--time-scale X] [--seed N] [--max-minutes M] [--world FILE]
 * [--fresh] [--json] [--profile DIR] [--sqlite-sync full|normal] [--log FILE]`
 *
 * A full sync (read Twilio, derive, deliver to Brevo) against the emulators at their documented limits, time-scaled.
 * The emulator runs in its own process (world in a SQLite file, reused between runs: `--fresh` regenerates it), the
 * connector in another one (bench/connector.ts, the embedded SDK = `tajo connectors sync`), so the connector's peak
 * RSS is its own. Prints the wall time, the rate-limit floor of the minimal request plan computed from the data
 * (bench/plan.ts), their ratio, requests per API against that plan (from the emulators' request logs), 429s and the
 * connector's peak RSS. Targets: ratio ≤ 1.10, requests ≤ 1.02 × plan, large-scale RSS ≤ 1.3 × small and < 250 MB.
 * `TAJO_BENCH_PEAKS=FILE` makes the connector append every new resident-set high (sampled every 50 ms) with its heap
 * figures and progress counters to FILE; `TAJO_BENCH_NODE_ARGS` replaces the launcher's node flags and environment.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundedEnv, boundedHeapFlags } from '../src/cli/heapBounds.js';
import { runEmulatorProcess } from '../src/emulators/process.js';
import { computePlan, groupBrevo, type TruthLike } from './plan.js';
import { diffBrevo, diffTwilio, getJson, hourlyUsed, spawnConnector, type BrevoLog, type TwilioLogEntry } from './procs.js';
import { render, summarise, type BenchResult } from './report.js';

interface Opts {
  scale: 'small' | 'reference' | 'large';
  timeScale: number;
  seed: number;
  json: boolean;
  maxMinutes: number | undefined;
  world: string | undefined;
  fresh: boolean;
  /** Directory for a V8 CPU profile of the connector (`--cpu-prof`). */
  profile: string | undefined;
  sqliteSync: 'full' | 'normal';
  log: string | undefined;
}

/** Default time scale: reference at ×20 puts the floor near 95 s (Brevo's event budgets dominate). */
const DEFAULT_TIME_SCALE = 20;

function parseArgs(argv: string[]): Opts {
  const o: Opts = { scale: 'reference', timeScale: DEFAULT_TIME_SCALE, seed: 7, json: false, maxMinutes: undefined, world: undefined, fresh: false, profile: undefined, sqliteSync: 'full', log: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const num = () => {
      const n = Number(val());
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${a} needs a positive number`);
      return n;
    };
    if (a === '--scale') {
      const s = val();
      if (s !== 'small' && s !== 'reference' && s !== 'large') throw new Error('--scale must be small, reference or large');
      o.scale = s;
    } else if (a === '--time-scale') o.timeScale = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--max-minutes') o.maxMinutes = num();
    else if (a === '--world') o.world = val();
    else if (a === '--fresh') o.fresh = true;
    else if (a === '--profile') o.profile = val();
    else if (a === '--log') o.log = val();
    else if (a === '--sqlite-sync') {
      const v = val();
      if (v !== 'full' && v !== 'normal') throw new Error('--sqlite-sync must be full or normal');
      o.sqliteSync = v;
    }
    else if (a === '--json') o.json = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench:sync -- [--scale small|reference|large] [--time-scale X] [--seed N] [--max-minutes M] [--world FILE] [--fresh] [--json] [--profile DIR] [--sqlite-sync full|normal] [--log FILE]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

async function run(o: Opts): Promise<BenchResult> {
  const note = (s: string) => {
    if (!o.json) process.stderr.write(`${s}\n`);
  };
  const worldDir = join(tmpdir(), 'tajo-bench');
  mkdirSync(worldDir, { recursive: true });
  const world = o.world ?? join(worldDir, `${o.scale}-seed${o.seed}.sqlite`);
  if (o.fresh) for (const p of [world, `${world}-wal`, `${world}-shm`]) rmSync(p, { force: true });
  note(`▸ emulator (own process): scale ${o.scale}, seed ${o.seed}, time ×${o.timeScale}, world ${existsSync(world) ? 'reused' : 'generated'} in the temp dir`);
  const t0 = Date.now();
  const emu = await runEmulatorProcess({
    args: ['--seed', String(o.seed), '--scale', o.scale, '--time-scale', String(o.timeScale), '--world', world],
    startTimeoutMs: 60 * 60_000,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'tajo-bench-data-'));
  try {
    const clock0 = await getJson<{ nowMs: number }>(`${emu.url}/_emulator/clock`);
    note(`  ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    note('▸ connector (own process): install, bootstrap lists and attributes');
    // The heap bounds `tajo connectors sync` runs with (src/cli/heapBounds.ts; TAJO_HEAP_MB=0 for Node's defaults), or
    // TAJO_BENCH_NODE_ARGS to try others.
    const heap = process.env.TAJO_BENCH_NODE_ARGS !== undefined ? process.env.TAJO_BENCH_NODE_ARGS.split(' ').filter(Boolean) : (boundedHeapFlags(['connectors', 'sync'], process.env, process.execArgv) ?? []);
    const nodeArgs = [...(o.profile ? ['--cpu-prof', '--cpu-prof-dir', o.profile] : []), ...heap];
    note(`  connector node flags: ${heap.join(' ') || '(Node defaults)'}`);
    // …and the launcher's environment for it (MALLOC_ARENA_MAX), unless TAJO_BENCH_NODE_ARGS says otherwise.
    const env = process.env.TAJO_BENCH_NODE_ARGS !== undefined ? {} : boundedEnv(process.env);
    if (Object.keys(env).length) note(`  connector environment: ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    const conn = spawnConnector({ url: emu.url, dataDir, sqliteSync: o.sqliteSync, ...(o.log ? { log: o.log } : {}) }, nodeArgs, env);
    const ready = await conn.next('ready');
    const twBefore = await getJson<Record<string, TwilioLogEntry>>(`${emu.url}/_emulator/twilio/requests`);
    const brBefore = await getJson<BrevoLog>(`${emu.url}/_emulator/brevo/requests`);
    const clock1 = await getJson<{ nowMs: number }>(`${emu.url}/_emulator/clock`);

    note('▸ full sync with delivery');
    let lastNote = 0;
    // Timeline: Brevo calls per plan group since the previous note (single events per real second is the pace).
    let prevBrevo = brBefore;
    let prevAt = Date.now();
    conn.onProgress((p) => {
      if (Date.now() - lastNote < 9_000) return;
      lastNote = Date.now();
      void getJson<BrevoLog>(`${emu.url}/_emulator/brevo/requests`).then((now) => {
        const d = diffBrevo(prevBrevo, now);
        const s = (Date.now() - prevAt) / 1000;
        prevBrevo = now;
        prevAt = Date.now();
        const by: Record<string, number> = {};
        for (const [k, v] of Object.entries(d)) by[groupBrevo(k)] = (by[groupBrevo(k)] ?? 0) + v.requests;
        const rate = ((by['brevo events single'] ?? 0) / s).toFixed(0);
        const rest = Object.entries(by).filter(([k]) => k !== 'brevo events single').map(([k, n]) => `${k.replace('brevo ', '')} ${n}`).join(', ');
        note(`  ${(Number(p.elapsedMs) / 1000).toFixed(0)} s: ${String(p.records)} TaskRouter events read, ${String(p.delivered)} Brevo writes delivered, ${String(p.pending)} pending, RSS ${String(p.rssMb)} MB (heap ${String(p.heapMb)} of ${String(p.heapTotalMb)}, external ${String(p.externalMb)}; anon ${String(p.anonMb)}, file ${String(p.fileMb)}, shm ${String(p.shmemMb)}); loop lag p99/max ${String(p.lagP99Ms)}/${String(p.lagMaxMs)} ms; single events ${rate}/s${rest ? `; ${rest}` : ''}`);
      }, () => undefined);
    });
    conn.send('go');
    let limited = false;
    const timer = o.maxMinutes !== undefined ? setTimeout(() => {
      limited = true;
      note(`  --max-minutes ${o.maxMinutes} reached: stopping the connector`);
      conn.child.kill('SIGTERM');
    }, o.maxMinutes * 60_000) : undefined;
    const done = await conn.next('done');
    if (timer) clearTimeout(timer);
    const twAfter = await getJson<Record<string, TwilioLogEntry>>(`${emu.url}/_emulator/twilio/requests`);
    const brAfter = await getJson<BrevoLog>(`${emu.url}/_emulator/brevo/requests`);

    note('▸ plan from the data');
    const truth = await getJson<TruthLike>(`${emu.url}/_emulator/truth`);
    const elapsedS = (clock1.nowMs - clock0.nowMs) / 1000;
    const plan = computePlan({
      worldPath: world,
      truth,
      runNowMs: clock1.nowMs,
      timeScale: o.timeScale,
      hourlyLeft: elapsedS < 3600 ? 100 - hourlyUsed(brBefore) : 100,
      hourlyResetS: 3600 - (elapsedS % 3600),
    });
    let brevoCheck: BenchResult['brevoCheck'];
    if (o.scale !== 'large' && !limited) {
      const state = await getJson<{ contacts: unknown[]; events: Array<{ event_properties?: Record<string, unknown> }> }>(`${emu.url}/_emulator/brevo/state`);
      const ids = new Set(state.events.map((e) => String(e.event_properties?.tajo_id)));
      brevoCheck = { contacts: state.contacts.length, truthContacts: truth.contacts.length, events: state.events.length, uniqueEvents: ids.size, truthEvents: truth.counts.events };
    }
    return summarise({
      opts: { scale: o.scale, seed: o.seed, timeScale: o.timeScale, maxMinutes: o.maxMinutes ?? null },
      limited,
      done,
      ready,
      plan,
      twilio: diffTwilio(twBefore, twAfter),
      brevo: diffBrevo(brBefore, brAfter),
      brevoRateLimited: {
        total: brAfter.rateLimited.total - brBefore.rateLimited.total,
        injected: brAfter.rateLimited.injected - brBefore.rateLimited.injected,
        byBucket: Object.fromEntries(Object.entries(brAfter.rateLimited.byBucket).map(([k, v]) => [k, v - (brBefore.rateLimited.byBucket[k] ?? 0)])),
      },
      ...(brevoCheck ? { brevoCheck } : {}),
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await emu.close();
  }
}

const opts = parseArgs(process.argv.slice(2));
run(opts).then(
  (r) => {
    if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else process.stdout.write(`${render(r).join('\n')}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
