import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { runCli, tempDir } from './test-helpers/runCli.js';

let emu: RunningEmulator;
let dir: { path: string; cleanup(): Promise<void> };
let blocker: Server;
let busyPort: number;

const brevoState = async () => (await (await fetch(`${emu.url}/_emulator/brevo/state`)).json()) as { contacts: unknown[]; events: unknown[] };
const writeConfig = async (name: string, flex: string, extra = '') => {
  const file = join(dir.path, name);
  await writeFile(file, `connectors:\n  twilio_flex:\n${flex}${extra}`);
  return ['--config', file, '--data-dir', dir.path];
};

beforeAll(async () => {
  emu = await startEmulator({ seed: 31, scale: 'small', timeScale: 60 });
  dir = await tempDir();
  expect((await runCli(['--data-dir', dir.path, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url])).code).toBe(0);
  blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  busyPort = (blocker.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => blocker?.close(r));
  await emu?.close();
  await dir?.cleanup();
});

describe('configured Brevo lists that do not exist', () => {
  it('fail the sync with TAJO_BREVO_LIST_MISSING (exit 78) before anything is enqueued', async () => {
    const args = await writeConfig('missing-list.yaml', '    lists:\n      support_contacts: 999\n');
    const r = await runCli(['--json', ...args, 'connectors', 'sync', 'twilio-flex', '--type', 'full']);
    expect(r.code).toBe(78);
    const err = r.json<{ error: { code: string; message: string; details: { path: string }[] } }>().error;
    expect(err.code).toBe('TAJO_BREVO_LIST_MISSING');
    expect(err.details).toEqual([expect.objectContaining({ path: 'connectors.twilio_flex.lists.support_contacts' })]);
    const status = (await runCli(['--json', ...args, 'connectors', 'status', 'twilio-flex'])).json<{ lastSync: string | null; outbox: { pending: number; dead: number } }>();
    expect(status).toMatchObject({ lastSync: null, outbox: { pending: 0, dead: 0 } });
    expect((await brevoState()).contacts).toHaveLength(0);

    const human = await runCli([...args, 'connectors', 'sync', 'twilio-flex']);
    expect(human.code).toBe(78);
    expect(human.stderr).toMatch(/error\[TAJO_BREVO_LIST_MISSING\]: .*support_contacts 999/);
  });

  it('fail the start of `tajo serve` (it would dead-letter every contact it delivers)', async () => {
    const args = await writeConfig('missing-list-serve.yaml', '    lists:\n      support_contacts: 999\n');
    const serve = await runCli([...args, 'serve', '--port', '0']);
    expect(serve.code).toBe(78);
    expect(serve.stderr).toMatch(/error\[TAJO_BREVO_LIST_MISSING\]: .*support_contacts 999/);
    expect((await brevoState()).contacts).toHaveLength(0);
  });

  it('fail `connectors test` with exit 78 and the coded error', async () => {
    const args = await writeConfig('missing-list-test.yaml', '    lists:\n      support_contacts: 999\n');
    const r = await runCli([...args, 'connectors', 'test', 'twilio-flex']);
    expect(r.code).toBe(78);
    expect(r.stdout).toContain('✗ Brevo lists missing');
    expect(r.stderr).toContain('TAJO_BREVO_LIST_MISSING');
    const j = await runCli(['--json', ...args, 'connectors', 'test', 'twilio-flex']);
    expect(j.code).toBe(78);
    expect(j.json<{ ok: boolean; error: { code: string } }>()).toMatchObject({ ok: false, error: { code: 'TAJO_BREVO_LIST_MISSING' } });
  });
});

describe('enabled: false', () => {
  it('refuses sync and serve with TAJO_CONNECTOR_DISABLED (exit 78)', async () => {
    const args = await writeConfig('disabled.yaml', '    enabled: false\n');
    const sync = await runCli(['--json', ...args, 'connectors', 'sync', 'twilio-flex']);
    expect(sync.code).toBe(78);
    expect(sync.json<{ error: { code: string } }>().error.code).toBe('TAJO_CONNECTOR_DISABLED');
    const serve = await runCli([...args, 'serve', '--port', '0']);
    expect(serve.code).toBe(78);
    expect(serve.stderr).toContain('error[TAJO_CONNECTOR_DISABLED]');
    expect((await brevoState()).contacts).toHaveLength(0);
  });
});

describe('logging settings', () => {
  const apiCalls = (stderr: string) => stderr.split('\n').filter((l) => l.includes('"msg":"api call"')).length;
  const atLevel = (stderr: string, level: number) => stderr.split('\n').filter((l) => l.includes(`"level":${level},`)).length;

  it('log_api_calls: true logs each vendor call (at info, so the CLI default of warn is lowered)', async () => {
    const args = await writeConfig('api-calls.yaml', '    log_api_calls: true\n');
    const r = await runCli([...args, 'connectors', 'sync', 'twilio-flex', '--dry-run', '--resources', 'agent_activity']);
    expect(r.code).toBe(0);
    expect(apiCalls(r.stderr)).toBeGreaterThan(0);
    // the flag (and TAJO_LOG_LEVEL) win over the config
    const quiet = await runCli([...args, '--log-level', 'error', 'connectors', 'sync', 'twilio-flex', '--dry-run', '--resources', 'agent_activity']);
    expect(apiCalls(quiet.stderr)).toBe(0);
    const envQuiet = await runCli([...args, 'connectors', 'sync', 'twilio-flex', '--dry-run', '--resources', 'agent_activity'], { env: { TAJO_LOG_LEVEL: 'error' } });
    expect(apiCalls(envQuiet.stderr)).toBe(0);
  });

  it('log_level sets the level; debug: true turns on debug logging', async () => {
    const off = await runCli([...(await writeConfig('plain.yaml', '    debug: false\n')), 'connectors', 'sync', 'twilio-flex', '--dry-run', '--resources', 'agent_activity']);
    expect(atLevel(off.stderr, 20)).toBe(0);
    const dbg = await runCli([...(await writeConfig('debug.yaml', '    debug: true\n')), 'connectors', 'sync', 'twilio-flex', '--dry-run', '--resources', 'agent_activity']);
    expect(atLevel(dbg.stderr, 20)).toBeGreaterThan(0);
    const lvl = await runCli([...(await writeConfig('level.yaml', '    log_level: debug\n')), 'connectors', 'sync', 'twilio-flex', '--dry-run', '--resources', 'agent_activity']);
    expect(atLevel(lvl.stderr, 20)).toBeGreaterThan(0);
    const flagWins = await runCli([...(await writeConfig('level2.yaml', '    log_level: debug\n')), '--log-level', 'warn', 'connectors', 'sync', 'twilio-flex', '--dry-run', '--resources', 'agent_activity']);
    expect(atLevel(flagWins.stderr, 20)).toBe(0);
  });

  it('TAJO_LOG_LEVEL that is not a level is a usage error, not an internal one', async () => {
    const r = await runCli(['--data-dir', dir.path, 'connectors', 'status', 'twilio-flex'], { env: { TAJO_LOG_LEVEL: 'loud' } });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('error[TAJO_USAGE]: TAJO_LOG_LEVEL "loud" is not a log level');
  });
});

describe('an address that cannot be listened on', () => {
  for (const cmd of [['serve'], ['dashboard'], ['emulator']]) {
    it(`${cmd.join(' ')}: port in use is TAJO_USAGE with a hint`, async () => {
      const r = await runCli(['--data-dir', dir.path, ...cmd, '--port', String(busyPort)], { env: {} });
      expect(r.code).toBe(64);
      expect(r.stderr).toContain(`127.0.0.1:${busyPort} is already in use (EADDRINUSE)`);
      expect(r.stderr).toMatch(/hint: .*another --port/);
    });
  }

  it('serve: a --host this machine does not have is TAJO_USAGE', async () => {
    const r = await runCli(['--data-dir', dir.path, 'serve', '--port', '0', '--host', '192.0.2.1']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/error\[TAJO_USAGE\]: tajo serve cannot listen: 192\.0\.2\.1:0 is not an address of this machine/);
  });
});

describe('sync options', () => {
  it('refuses channels outside the config, empty resources, non-ISO and future --since, a non-URL base URL', async () => {
    const args = await writeConfig('sms-only.yaml', '    channels: [sms]\n');
    const future = new Date(Date.now() + 86_400_000).toISOString();
    for (const [extra, pattern] of [
      [['--channels', 'voice'], /--channels voice: not among the configured channels \(sms\)/],
      [['--resources', ''], /give at least one of/],
      [['--since', 'tomorrow 5'], /must be an ISO 8601 date/],
      [['--since', future], /is in the future/],
    ] as const) {
      const r = await runCli(['--json', ...args, 'connectors', 'sync', 'twilio-flex', '--dry-run', ...extra]);
      expect(r.code, extra.join(' ')).toBe(64);
      const err = r.json<{ error: { code: string; message: string } }>().error;
      expect(err.code).toBe('TAJO_USAGE');
      expect(err.message).toMatch(pattern);
    }
    const url = await runCli(['--data-dir', dir.path, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url, '--brevo-base-url', 'notaurl']);
    expect(url.code).toBe(64);
    expect(url.stderr).toMatch(/error\[TAJO_USAGE\]: .*--brevo-base-url.*must be an absolute http\(s\) URL/);
  });
});
