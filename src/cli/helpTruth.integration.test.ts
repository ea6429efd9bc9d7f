import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { basicHeader, cloudEvent } from '../server/test-helpers/fixtures.js';
import { bufferIo } from './io.js';
import { main } from './main.js';
import { runCli, tempDir } from './test-helpers/runCli.js';

let emu: RunningEmulator;
let dir: { path: string; cleanup(): Promise<void> };
const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

beforeAll(async () => {
  emu = await startEmulator({ seed: 61, scale: 'small' });
  dir = await tempDir();
});
afterAll(async () => {
  await emu?.close();
  await dir?.cleanup();
});

describe('what install says about where credentials went', () => {
  it('names the store they are in and where the master key is, not only the data dir', async () => {
    const data = join(dir.path, 'data');
    const file = join(dir.path, 'elsewhere.db');
    const cfg = join(dir.path, 'store.yaml');
    await writeFile(cfg, `store:\n  url: sqlite:${file}\n`);
    const r = await runCli(['--config', cfg, '--data-dir', data, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Credentials stored encrypted in sqlite:${file} (master key: ${join(data, 'master.key')})`);

    const data2 = join(dir.path, 'data2');
    const env = await runCli(['--data-dir', data2, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url], { env: { TAJO_MASTER_KEY: MASTER_KEY } });
    expect(env.code, env.stderr).toBe(0);
    expect(env.stdout).toContain(`Credentials stored encrypted in ${join(data2, 'tajo.db')} (master key: TAJO_MASTER_KEY)`);
    expect(env.stdout + env.stderr).not.toContain(MASTER_KEY);
  });
});

describe('rotate takes credentials from its flags only', () => {
  it('its help names no environment variable, and an env credential alone rotates nothing', async () => {
    const help = await runCli(['connectors', 'rotate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).not.toMatch(/env [A-Z_]+/);
    const data = join(dir.path, 'rot');
    expect((await runCli(['--data-dir', data, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url])).code).toBe(0);
    const r = await runCli(['--data-dir', data, 'connectors', 'rotate', 'twilio-flex'], { env: { TWILIO_AUTH_TOKEN: emu.info.authToken } });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('error[TAJO_USAGE]: Nothing to rotate');
    // install does read them: its help says so
    expect((await runCli(['connectors', 'install', '--help'])).stdout).toContain('env TWILIO_AUTH_TOKEN');
  });
});

describe('tajo serve without an installed auth token', () => {
  it('says which routes refuse (signed Twilio callbacks) and that Event Streams still takes server.sink_basic_auth, as it does', async () => {
    const data = join(dir.path, 'apikey');
    const install = await runCli(['--data-dir', data, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url, '--api-key-sid', emu.info.apiKeySid, '--api-key-secret', emu.info.apiKeySecret]);
    expect(install.code, install.stderr).toBe(0);
    const cfg = join(dir.path, 'basic.yaml');
    const basic = { user: 'sink', pass: 'a-long-sink-password' };
    await writeFile(cfg, `server:\n  sink_basic_auth:\n    user: ${basic.user}\n    pass: ${basic.pass}\n`);
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const io = bufferIo({ env: {}, waitForShutdown: () => stopped });
    const running = main(['node', 'tajo', '--json', '--config', cfg, '--data-dir', data, 'serve', '--port', '0', '--role', 'ingest'], io);
    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      const text = io.stdoutText();
      if (text) url = (JSON.parse(text) as { url: string }).url;
      else await new Promise((r) => setTimeout(r, 50));
    }
    try {
      expect(url).toBeDefined();
      const note = io.stderrText();
      expect(note).toMatch(/no Twilio auth token installed/);
      expect(note).toMatch(/Event Streams .*server\.sink_basic_auth/);
      // what the note says, the server does: a Basic-authenticated batch is stored, an unsigned TaskRouter callback refused
      const es = await fetch(`${url!}/webhooks/twilio/event-streams`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basicHeader(basic) }, body: JSON.stringify([cloudEvent(1)]) });
      expect(es.status).toBe(204);
      const tr = await fetch(`${url!}/webhooks/twilio/taskrouter`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'EventType=task.created&Sid=EVx' });
      expect(tr.status).toBeGreaterThanOrEqual(400);
      expect(tr.status).toBeLessThan(500);
    } finally {
      stop();
    }
    expect(await running).toBe(0);
  });
});

describe('a connector without a Brevo key', () => {
  it('install, test and sync give one advice that works as written (rotate needs the connector argument; sync has no --brevo-api-key)', async () => {
    const data = join(dir.path, 'nobrevo');
    const cfg = join(dir.path, 'nobrevo.yaml');
    const t = emu.info.twilio;
    await writeFile(cfg, `brevo:\n  base_url: ${emu.info.brevo}\nconnectors:\n  twilio_flex:\n    base_urls:\n      flex: ${t.flex}\n      conversations: ${t.conversations}\n      taskrouter: ${t.taskrouter}\n      events: ${t.events}\n`);
    const env = { TWILIO_ACCOUNT_SID: emu.info.accountSid, TWILIO_AUTH_TOKEN: emu.info.authToken, TWILIO_FLEX_FLOW_SID: emu.info.flexFlowSid };
    const args = ['--config', cfg, '--data-dir', data];
    const advice = 'tajo connectors rotate twilio-flex --brevo-api-key';
    const install = await runCli([...args, 'connectors', 'install', 'twilio-flex'], { env });
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain(advice);
    const test = await runCli(['--json', ...args, 'connectors', 'test', 'twilio-flex'], { env });
    expect(test.json<{ checks: { id: string; fix?: string }[] }>().checks.find((c) => c.id === 'brevo')?.fix).toContain(advice);
    const sync = await runCli(['--json', ...args, 'connectors', 'sync', 'twilio-flex', '--resources', 'agent_activity'], { env });
    expect(sync.code, sync.stderr).toBe(0);
    const warning = sync.json<{ warnings: string[] }>().warnings.find((w) => w.startsWith('no Brevo API key'));
    expect(warning).toContain(advice);
    // following it works
    expect((await runCli([...args, 'connectors', 'rotate', 'twilio-flex', '--brevo-api-key', emu.info.brevoApiKey], { env })).code).toBe(0);
    const after = await runCli(['--json', ...args, 'connectors', 'sync', 'twilio-flex', '--resources', 'agent_activity'], { env });
    expect(after.json<{ warnings: string[] }>().warnings.filter((w) => w.startsWith('no Brevo API key'))).toEqual([]);
  });
});

describe('sync --resources', () => {
  it('a resource the configuration turns off is refused (TAJO_USAGE), as --channels outside the configured ones is, instead of an ok run that read nothing', async () => {
    const data = join(dir.path, 'res');
    expect((await runCli(['--data-dir', data, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url])).code).toBe(0);
    const cfg = join(dir.path, 'no-csat.yaml');
    await writeFile(cfg, 'connectors:\n  twilio_flex:\n    sync:\n      csat: false\n      agent_activity: false\n');
    const r = await runCli(['--json', '--config', cfg, '--data-dir', data, 'connectors', 'sync', 'twilio-flex', '--dry-run', '--resources', 'csat,agent_activity,tasks']);
    expect(r.code, r.stdout).toBe(64);
    const err = r.json<{ error: { code: string; message: string } }>().error;
    expect(err.code).toBe('TAJO_USAGE');
    expect(err.message).toContain('--resources csat, agent_activity: turned off in the configuration');
    const ok = await runCli(['--json', '--config', cfg, '--data-dir', data, 'connectors', 'sync', 'twilio-flex', '--dry-run', '--resources', 'tasks']);
    expect(ok.code, ok.stdout).toBe(0);
  });
});

describe('serve --sync-every', () => {
  it('is refused with --role ingest (it runs on worker roles only, as its help says) instead of being ignored', async () => {
    const data = join(dir.path, 'ingest');
    const io = bufferIo({ env: {}, waitForShutdown: async () => undefined });
    const code = await main(['node', 'tajo', '--data-dir', data, 'serve', '--port', '0', '--role', 'ingest', '--sync-every', '60'], io);
    expect(code, io.stdoutText()).toBe(64);
    expect(io.stderrText()).toContain('error[TAJO_USAGE]: --sync-every runs on the worker roles');
  });
});
