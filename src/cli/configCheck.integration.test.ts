import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BASE_URLS, DEFAULT_BREVO_BASE_URL } from '../config/defaults.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { runCli, tempDir } from './test-helpers/runCli.js';

let dir: { path: string; cleanup(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await dir?.cleanup();
});

describe('tajo config check', () => {
  it('prints the resolved configuration with secrets redacted (--json and human), ${ENV} and relative paths resolved', async () => {
    const file = join(dir.path, 'tajo.yaml');
    await writeFile(file, 'data_dir: ./state\nstore:\n  url: sqlite:db/tajo.db\nserver:\n  port: ${PORT:-8787}\nbrevo:\n  api_key: ${BREVO_API_KEY}\nconnectors:\n  twilio_flex:\n    field_mapping:\n      attributes.email: Email\n      customer_tier: vip_tier\n');
    const env = { BREVO_API_KEY: 'xkeysib-secret-value-123', PORT: '9100' };
    const j = await runCli(['--json', '--config', file, 'config', 'check'], { env, cwd: '/' });
    expect(j.code).toBe(0);
    const doc = j.json<{ ok: boolean; path: string; dataDir: string; store: string; config: { brevo: { api_key: string }; server: { port: number }; connectors: { twilio_flex: { field_mapping: Record<string, string> } } } }>();
    expect(doc).toMatchObject({ ok: true, path: file, dataDir: join(dir.path, 'state'), store: `sqlite:${join(dir.path, 'db/tajo.db')}` });
    expect(doc.config.brevo.api_key).toBe('[redacted]');
    expect(doc.config.server.port).toBe(9100);
    expect(doc.config.connectors.twilio_flex.field_mapping).toEqual({ 'attributes.email': 'email', customer_tier: 'VIP_TIER' });
    expect(j.stdout + j.stderr).not.toContain(env.BREVO_API_KEY);

    const h = await runCli(['--config', file, 'config', 'check'], { env });
    expect(h.code).toBe(0);
    expect(h.stdout).toContain(`✓ Configuration is valid: ${file}`);
    expect(h.stdout).toContain('api_key: "[redacted]"');
    expect(h.stdout + h.stderr).not.toContain(env.BREVO_API_KEY);
  });

  it('an invalid config exits 78 and lists each problem once', async () => {
    const file = join(dir.path, 'bad.yaml');
    await writeFile(file, 'connectors:\n  twilio_flex:\n    default_phone_region: zz\n    bogus: 1\n');
    const r = await runCli(['--config', file, 'config', 'check']);
    expect(r.code).toBe(78);
    expect(r.stderr.match(/default_phone_region/g)).toHaveLength(1);
    expect(r.stderr.match(/bogus/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/^error\[TAJO_CONFIG_INVALID\]: Configuration is invalid in .* \(2 problems\):\n/);
  });
});

describe('tajo config check: the base URLs a sync uses', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ seed: 41, scale: 'small' });
  });
  afterAll(async () => {
    await emu?.close();
  });
  type Urls = Record<'flex' | 'conversations' | 'taskrouter' | 'events' | 'brevo', { url: string; source: string }>;

  it('a fresh data dir: the default hosts, and no store is created', async () => {
    const data = join(dir.path, 'fresh');
    const r = await runCli(['--json', '--data-dir', data, 'config', 'check']);
    expect(r.code).toBe(0);
    const doc = r.json<{ baseUrls: Urls; connector: { installed: boolean } }>();
    expect(doc.baseUrls.flex).toEqual({ url: DEFAULT_BASE_URLS.flex, source: 'default' });
    expect(doc.baseUrls.brevo).toEqual({ url: DEFAULT_BREVO_BASE_URL, source: 'default' });
    expect(doc.connector.installed).toBe(false);
    expect(existsSync(join(data, 'tajo.db'))).toBe(false);
  });

  it('a connector installed with --emulator: the emulator URLs it stored (text and --json), a config URL still wins', async () => {
    const data = join(dir.path, 'emu');
    expect((await runCli(['--data-dir', data, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url])).code).toBe(0);
    const r = await runCli(['--json', '--data-dir', data, 'config', 'check']);
    expect(r.code).toBe(0);
    const doc = r.json<{ baseUrls: Urls; connector: { installed: boolean } }>();
    expect(doc.connector.installed).toBe(true);
    for (const k of ['flex', 'conversations', 'taskrouter', 'events'] as const) expect(doc.baseUrls[k]).toEqual({ url: emu.info.twilio[k], source: 'installed' });
    expect(doc.baseUrls.brevo).toEqual({ url: emu.info.brevo, source: 'installed' });
    for (const s of [emu.info.authToken, emu.info.brevoApiKey]) expect(r.stdout + r.stderr).not.toContain(s);

    const h = await runCli(['--data-dir', data, 'config', 'check']);
    expect(h.code).toBe(0);
    const line = (name: string) => h.stdout.split('\n').find((l) => l.trim().split(/\s+/)[0] === name) ?? '';
    expect(line('flex')).toContain(`${emu.info.twilio.flex} (installed`);
    expect(line('brevo')).toContain(`${emu.info.brevo} (installed`);
    expect(h.stdout).toContain("# the base URLs below are the configuration's");

    const file = join(dir.path, 'override.yaml');
    await writeFile(file, 'connectors:\n  twilio_flex:\n    base_urls:\n      flex: http://127.0.0.1:9/flex\n');
    const o = (await runCli(['--json', '--config', file, '--data-dir', data, 'config', 'check'])).json<{ baseUrls: Urls }>();
    expect(o.baseUrls.flex).toEqual({ url: 'http://127.0.0.1:9/flex', source: 'config' });
    expect(o.baseUrls.taskrouter).toEqual({ url: emu.info.twilio.taskrouter, source: 'installed' });
  });
});

describe('usage and environment errors are coded, never internal', () => {
  it('--json without a (sub)command prints a JSON error document', async () => {
    for (const args of [['--json'], ['dlq', '--json']]) {
      const r = await runCli(args);
      expect(r.code).toBe(64);
      expect(r.json<{ error: { code: string } }>().error.code).toBe('TAJO_USAGE');
    }
  });

  it('a --data-dir that is a file, a --config that is a directory, prune --older-than-days 1e9', async () => {
    const file = join(dir.path, 'afile');
    await writeFile(file, 'x');
    const d = await runCli(['--data-dir', file, 'connectors', 'status', 'twilio-flex']);
    expect(d.code).toBe(64);
    expect(d.stderr).toContain('error[TAJO_USAGE]: The data dir is not a directory');
    const cfgDir = join(dir.path, 'cfgdir');
    await mkdir(cfgDir, { recursive: true });
    const c = await runCli(['--config', cfgDir, 'connectors', 'status', 'twilio-flex']);
    expect(c.code).toBe(78);
    expect(c.stderr).toContain('error[TAJO_CONFIG_NOT_FOUND]: Configuration path is a directory');
    const p = await runCli(['--data-dir', join(dir.path, 'data'), 'prune', '--older-than-days', '1e9']);
    expect(p.code).toBe(64);
    expect(p.stderr).toContain('error[TAJO_USAGE]: --older-than-days must be a number between 0 and 36500');
  });
});
