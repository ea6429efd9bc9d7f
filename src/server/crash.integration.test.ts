/**
 * Crash safety of the real-time path (issue 5 §6): `tajo serve` runs as a child process on a temp SQLite data dir; the
 * Twilio emulator pushes its whole world as signed Event Streams batches (30% duplicates, shuffled); the test
 * SIGKILLs the server at seeded random moments under that load and restarts it on the same port (the emulator's push
 * retries unacknowledged deliveries, as Twilio does), re-pushes the window, lets the outbox drain, and compares the
 * Brevo emulator with the ground truth: every event exactly once by `event_properties.tajo_id`, re-sends bounded by
 * the in-flight batch of each kill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../cli/test-helpers/runCli.js';
import type { BrevoState } from '../emulators/brevo/index.js';
import { mulberry32 } from '../emulators/common/random.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { GROUP_MAX } from '../engine/deliver/outcome.js';
import { freePort } from './test-helpers/freePort.js';

const SCALE = 50;
const SEED = 20_261_125;
const KILLS = 2;
/** What one kill can re-send: an events batch call (≤ 200), the parallel single calls (4), the rows awaiting their group commit. */
const IN_FLIGHT = 200 + 4 + GROUP_MAX;
const TAJO = fileURLToPath(new URL('./test-helpers/tajoMain.ts', import.meta.url));

interface Served {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  err: () => string;
}

/** Starts `tajo serve` as a child and resolves once it answers /readyz. */
async function serve(args: string[], url: string): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', TAJO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stdout!.resume();
  child.stderr!.on('data', (c: Buffer) => {
    err = (err + c.toString('utf8')).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tajo serve exited: ${err.slice(-2000)}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`tajo serve did not start: ${err.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, exited, err: () => err };
}

describe('crash safety of tajo serve: SIGKILL under webhook load, restart, re-push, drain', () => {
  let emu: RunningEmulator;
  let dir: { path: string; cleanup(): Promise<void> };
  let args: string[];

  beforeAll(async () => {
    emu = await startEmulator({ seed: 17, scale: 'small', timeScale: SCALE });
    dir = await tempDir('tajo-serve-crash-');
    expect((await runCli(['--data-dir', dir.path, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url])).code).toBe(0);
    const boot = (await runCli(['--json', '--data-dir', dir.path, 'connectors', 'bootstrap', 'twilio-flex', '--create-lists'])).json<{ lists: { key: string; id: number }[] }>();
    const cfg = join(dir.path, 'tajo.yaml');
    await writeFile(cfg, `connectors:\n  twilio_flex:\n    lists:\n${boot.lists.map((l) => `      ${l.key}: ${l.id}\n`).join('')}`);
    args = ['--config', cfg, '--data-dir', dir.path];
  }, 60_000);
  afterAll(async () => {
    await emu?.close();
    await dir?.cleanup();
  });

  it(`${KILLS} SIGKILLs at seeded random points: every acknowledged event reaches Brevo once, re-sends within the in-flight batch`, { timeout: 90_000 }, async () => {
    const random = mulberry32(SEED);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // short leases: a restarted server takes over the dead one's claimed inbox items and outbox rows within 2 s
    const serveArgs = ['--json', ...args, 'serve', '--port', String(port), '--lease-seconds', '2'];
    let server = await serve(serveArgs, url);
    const push = emu.twilio.push({
      kind: 'event-streams', url: `${url}/webhooks/twilio/event-streams`, since: '1970-01-01T00:00:00Z', duplicateRate: 0.3, shuffle: true, seed: 5,
      batchSize: 25, concurrency: 4, maxRetries: 30,
    });
    const kills: number[] = [];
    try {
      for (let k = 0; k < KILLS; k++) {
        const afterMs = Math.round(200 + random() * 1_500);
        await new Promise((r) => setTimeout(r, afterMs));
        server.child.kill('SIGKILL');
        const exit = await server.exited;
        expect(exit.signal).toBe('SIGKILL');
        kills.push(afterMs);
        server = await serve(serveArgs, url);
      }
      const first = await push;
      expect(first.failures).toBe(0);
      // the kills landed under load: deliveries went unacknowledged and were retried
      expect(first.retries).toBeGreaterThan(0);
      // Twilio re-sends what it has no acknowledgement for: push the window again; everything is a duplicate by now
      const again = await emu.twilio.push({ kind: 'event-streams', url: `${url}/webhooks/twilio/event-streams`, since: '1970-01-01T00:00:00Z', batchSize: 100, concurrency: 4, maxRetries: 30 });
      expect(again.failures).toBe(0);

      const truth = new Set(emu.truth().events.map((e) => `${e.name}:${e.source_sid}`));
      expect(truth.size).toBeGreaterThan(100);
      let state: BrevoState | undefined;
      let backlog = -1;
      const deadline = Date.now() + 60_000;
      for (;;) {
        state = (await (await fetch(`${emu.url}${emu.brevo.inspectPrefix}/state`)).json()) as BrevoState;
        const metrics = await (await fetch(`${url}/metrics`)).text();
        backlog = Number(/^tajo_outbox_backlog(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? -1);
        const seen = new Set(state.events.map((e) => String(e.event_properties?.tajo_id)));
        if (backlog === 0 && [...truth].every((t) => seen.has(t))) break;
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const counts = new Map<string, number>();
      for (const e of state.events) {
        const id = String(e.event_properties?.tajo_id);
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      const got = new Set(counts.keys());
      expect({ backlog, missing: [...truth].filter((t) => !got.has(t)).slice(0, 5), extra: [...got].filter((t) => !truth.has(t)).slice(0, 5) }).toEqual({ backlog: 0, missing: [], extra: [] });
      const resent = [...counts.values()].reduce((s, n) => s + n - 1, 0);
      expect(resent).toBeLessThanOrEqual(IN_FLIGHT * kills.length);
      expect(Math.max(...counts.values())).toBeLessThanOrEqual(1 + kills.length);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
