/**
 * `tajo serve` and `tajo connectors sync` at the same time on one SQLite data dir (issue 5 §3): `tajo serve` runs as
 * a child process and takes the Twilio emulator's whole world as signed Event Streams batches (30% duplicates,
 * shuffled) while a second child process runs `tajo connectors sync --type full` on the same data dir, both delivering
 * to the same Brevo emulator. Once both are done (and a final incremental sync), the Brevo emulator must hold the
 * ground truth: every event exactly once by `event_properties.tajo_id`, every contact with the truth's attributes,
 * lists and consent, the truth's dead letters and no others; neither process may exit non-zero or log a lock or store
 * error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../cli/test-helpers/runCli.js';
import type { BrevoState } from '../emulators/brevo/index.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { diffAgainstTruth, problems } from '../engine/sync/test-helpers/compare.js';
import { freePort } from './test-helpers/freePort.js';

const SCALE = 50;
const TAJO = fileURLToPath(new URL('./test-helpers/tajoMain.ts', import.meta.url));
/** What neither process may print: SQLite lock errors, or a store failure of any kind. */
const STORE_TROUBLE = /SQLITE_BUSY|SQLITE_LOCKED|database is locked|TAJO_STORE_/i;

interface Child {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  out: () => string;
  err: () => string;
}

/** `tajo <args>` from the sources as a child process, its output kept. */
function tajo(args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', TAJO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, exited, out: () => out, err: () => err };
}

async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number, detail: () => string, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('tajo serve and tajo connectors sync at once on one data dir', () => {
  let emu: RunningEmulator;
  let dir: { path: string; cleanup(): Promise<void> };
  let args: string[];
  let lists: { support_contacts: number; csat_respondents: number };
  let server: Child | undefined;
  let sync: Child | undefined;

  beforeAll(async () => {
    emu = await startEmulator({ seed: 23, scale: 'small', timeScale: SCALE });
    dir = await tempDir('tajo-serve-sync-');
    expect((await runCli(['--data-dir', dir.path, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url])).code).toBe(0);
    const boot = (await runCli(['--json', '--data-dir', dir.path, 'connectors', 'bootstrap', 'twilio-flex', '--create-lists'])).json<{ lists: { key: 'support_contacts' | 'csat_respondents'; id: number }[] }>();
    lists = Object.fromEntries(boot.lists.map((l) => [l.key, l.id])) as typeof lists;
    const cfg = join(dir.path, 'tajo.yaml');
    await writeFile(cfg, `connectors:\n  twilio_flex:\n    lists:\n${boot.lists.map((l) => `      ${l.key}: ${l.id}\n`).join('')}`);
    args = ['--config', cfg, '--data-dir', dir.path];
  }, 60_000);
  afterAll(async () => {
    for (const c of [server, sync]) {
      if (c && c.child.exitCode === null && c.child.signalCode === null) {
        c.child.kill('SIGKILL');
        await c.exited;
      }
    }
    await emu?.close();
    await dir?.cleanup();
  });

  it('every event reaches Brevo once, contacts and dead letters equal the ground truth, no lock errors, both exit 0', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const logs = () => `--- serve stderr\n${server?.err().slice(-3000) ?? ''}\n--- sync stderr\n${sync?.err().slice(-3000) ?? ''}`;
    server = tajo(['--json', ...args, 'serve', '--port', String(port)]);
    await waitFor('tajo serve to answer /readyz', async () => {
      if (server!.child.exitCode !== null) throw new Error(`tajo serve exited\n${logs()}`);
      return fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    }, 30_000, logs);

    // The full sync starts first; the push starts as soon as the sync reads the Events API, so both derive the same
    // tasks at once (the serve makes no Twilio call before it has a webhook).
    await fetch(`${emu.url}/_emulator/twilio/requests`, { method: 'DELETE' });
    sync = tajo(['--json', ...args, 'connectors', 'sync', 'twilio-flex', '--type', 'full']);
    await waitFor('the sync to read Twilio', async () => {
      if (sync!.child.exitCode !== null) throw new Error(`the sync exited before reading Twilio\n${logs()}`);
      const log = (await (await fetch(`${emu.url}/_emulator/twilio/requests`)).json()) as Record<string, { requests: number }>;
      return Object.values(log).reduce((s, v) => s + v.requests, 0) > 0;
    }, 30_000, logs, 20);
    const pushing = emu.twilio.push({
      kind: 'event-streams', url: `${url}/webhooks/twilio/event-streams`, since: '1970-01-01T00:00:00Z', duplicateRate: 0.3, shuffle: true, seed: 5,
      batchSize: 10, concurrency: 3, maxRetries: 10,
    });
    // what the serve had derived from webhooks while the sync was still running (proof the two overlapped)
    let derivedWhileSyncRan = 0;
    let pushed = false;
    void pushing.finally(() => (pushed = true));
    while (!pushed && sync.child.exitCode === null) {
      const metrics = await fetch(`${url}/metrics`).then((r) => r.text(), () => '');
      const n = Number(/^tajo_inbox_processed_total\{[^}]*result="processed"[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0);
      if (sync.child.exitCode === null) derivedWhileSyncRan = Math.max(derivedWhileSyncRan, n);
      await new Promise((r) => setTimeout(r, 100));
    }
    const push = await pushing;
    expect(push.failures).toBe(0);
    expect(push.duplicates).toBeGreaterThan(0);

    const syncExit = await sync.exited;
    expect({ exit: syncExit, stderr: sync.err().slice(-2000) }).toMatchObject({ exit: { code: 0, signal: null } });
    expect(JSON.parse(sync.out())).toMatchObject({ type: 'full', status: 'ok' });

    // a final incremental sync (in-process, the serve still running): it fills whatever neither path has sent
    const last = await runCli(['--json', ...args, 'connectors', 'sync', 'twilio-flex']);
    expect({ code: last.code, stderr: last.stderr.slice(-2000) }).toMatchObject({ code: 0 });
    expect(last.json()).toMatchObject({ type: 'incremental', status: 'ok' });

    // the serve processes its inbox (nothing left waiting) and drains the outbox
    const truth = emu.truth();
    const truthIds = new Set(truth.events.map((e) => `${e.name}:${e.source_sid}`));
    expect(truthIds.size).toBeGreaterThan(100);
    let backlog = -1;
    let inbox = -1;
    const db = new Database(join(dir.path, 'tajo.db'), { readonly: true });
    try {
      await waitFor('the inbox and outbox to drain into Brevo', async () => {
        inbox = (db.prepare("SELECT count(*) AS n FROM inbox WHERE status <> 'processed'").get() as { n: number }).n;
        const metrics = await (await fetch(`${url}/metrics`)).text();
        backlog = Number(/^tajo_outbox_backlog(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? -1);
        const state = (await (await fetch(`${emu.url}${emu.brevo.inspectPrefix}/state`)).json()) as BrevoState;
        const seen = new Set(state.events.map((e) => String(e.event_properties?.tajo_id)));
        return inbox === 0 && backlog === 0 && [...truthIds].every((t) => seen.has(t));
      }, 60_000, () => `inbox ${inbox}, outbox backlog ${backlog}\n${logs()}`, 250);
    } finally {
      db.close();
    }
    await emu.brevo.settle();

    const state = (await (await fetch(`${emu.url}${emu.brevo.inspectPrefix}/state`)).json()) as BrevoState;
    const diff = diffAgainstTruth(state, truth, lists);
    expect(problems(diff)).toEqual({});
    expect(Object.fromEntries([...diff.duplicates].slice(0, 5)), 'events Brevo accepted more than once').toEqual({});
    expect(state.events.length).toBe(truthIds.size);

    const letters = (await runCli(['--json', ...args, 'dlq', 'list'])).json<{ reason: string; recordKey: string }[]>();
    expect(letters.map((d) => `${d.reason}:${d.recordKey}`).sort()).toEqual(truth.deadLetters.map((d) => `${d.reason}:${d.source_sid}`).sort());

    server.child.kill('SIGTERM');
    const serveExit = await server.exited;
    expect({ exit: serveExit, stderr: server.err().slice(-2000) }).toMatchObject({ exit: { code: 0, signal: null } });
    expect(server.err().match(STORE_TROUBLE), 'serve stderr').toBeNull();
    expect(sync.err().match(STORE_TROUBLE), 'sync stderr').toBeNull();
    expect(last.stderr.match(STORE_TROUBLE), 'final sync stderr').toBeNull();
    expect(derivedWhileSyncRan, 'webhook events derived by the serve while the full sync ran').toBeGreaterThan(100);
  });
});
