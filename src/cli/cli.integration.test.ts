import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { bufferIo } from './io.js';
import { main } from './main.js';
import { runCli, tempDir, type CliRun } from './test-helpers/runCli.js';

const FIVE_CHECKS = [
  '✓ Flex API connection successful',
  '✓ Conversations API accessible',
  '✓ TaskRouter workspace found',
  '✓ Agent list readable',
  '✓ Queue configuration loaded',
];

let emu: RunningEmulator;
let dirs: { path: string; cleanup(): Promise<void> }[] = [];
const newDir = async () => {
  const d = await tempDir();
  dirs.push(d);
  return d.path;
};
const secretsOf = () => [emu.info.authToken, emu.info.apiKeySecret, emu.info.brevoApiKey];

beforeAll(async () => {
  emu = await startEmulator({ seed: 11, scale: 'small', timeScale: 20 });
});

afterAll(async () => {
  await emu?.close();
  for (const d of dirs) await d.cleanup();
  dirs = [];
});

describe('config errors', () => {
  it('exits 78 and names the YAML path and line', async () => {
    const dir = await newDir();
    const file = join(dir, 'tajo.yaml');
    await writeFile(file, 'connectors:\n  twilio_flex:\n    account_sid: ACnot-a-sid\n    flex_flow_sid: FO123\n');
    const r = await runCli(['--config', file, '--data-dir', dir, 'connectors', 'status', 'twilio-flex']);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('connectors.twilio_flex.account_sid (line 3)');
    expect(r.stderr).toContain('connectors.twilio_flex.flex_flow_sid (line 4)');
    expect(r.stdout).toBe('');

    const j = await runCli(['--json', '--config', file, '--data-dir', dir, 'connectors', 'status', 'twilio-flex']);
    expect(j.code).toBe(78);
    const err = j.json<{ error: { code: string; details: { path: string; line: number }[] } }>().error;
    expect(err.code).toBe('TAJO_CONFIG_INVALID');
    expect(err.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'connectors.twilio_flex.account_sid', line: 3 })]));
  });

  it('a missing --config file exits 78', async () => {
    const r = await runCli(['--config', '/nonexistent/tajo.yaml', 'connectors', 'status', 'twilio-flex']);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('TAJO_CONFIG_NOT_FOUND');
  });
});

describe('emulator command', () => {
  it('prints one JSON line with the URLs and its own throwaway credentials, then stops on shutdown', async () => {
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const io = bufferIo({ waitForShutdown: () => stopped });
    const running = main(['node', 'tajo', 'emulator', '--port', '0', '--seed', '2', '--time-scale', '10'], io);
    for (let i = 0; i < 200 && !io.stdoutText(); i++) await new Promise((r) => setTimeout(r, 50));
    const lines = io.stdoutText().trim().split('\n');
    expect(lines).toHaveLength(1);
    const info = JSON.parse(lines[0]!) as { twilio: { flex: string }; brevo: string; accountSid: string; authToken: string; brevoApiKey: string };
    expect(info.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(info.authToken.length).toBeGreaterThan(8);
    const origin = new URL(info.brevo).origin;
    expect(info.twilio.flex).toBe(`${origin}/flex-api`);
    expect((await fetch(`${origin}/_emulator/info`)).status).toBe(200);
    stop();
    expect(await running).toBe(0);
    await expect(fetch(`${origin}/_emulator/info`)).rejects.toThrow();
  });
});

describe('usage', () => {
  it('unknown options and commands exit 64, as JSON with --json', async () => {
    const r = await runCli(['--json', 'connectors', 'status', 'twilio-flex', '--bogus']);
    expect(r.code).toBe(64);
    expect(r.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'TAJO_USAGE' });
    const u = await runCli(['connectors', 'sync', 'twilio-flex', '--type', 'sometimes']);
    expect(u.code).toBe(64);
    expect(u.stderr).toContain('sometimes');
    // a number with trailing garbage is no number (parseInt would have read 10)
    const b = await runCli(['--json', 'migrate', '--from', 'sqlite', '--batch-size', '10abc']);
    expect(b.code).toBe(64);
    expect(b.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'TAJO_USAGE', message: expect.stringContaining('batch-size') });
  });

  it('--help and --version exit 0', async () => {
    expect((await runCli(['--help'])).code).toBe(0);
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('install and test against the emulator', () => {
  it('installs from --emulator, then prints the five checks and the Brevo check', async () => {
    const dir = await newDir();
    const install = await runCli(['--data-dir', dir, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url]);
    expect(install.stderr).toBe('');
    expect(install.code).toBe(0);
    expect(install.stdout).toContain(`TaskRouter workspace ${emu.info.workspaceSid} (discovered from Flex Configuration)`);

    const test = await runCli(['--data-dir', dir, 'connectors', 'test', 'twilio-flex']);
    expect(test.code).toBe(0);
    const lines = test.stdout.split('\n');
    expect(lines.slice(0, 5).map((l) => l.replace(/ \(.*\)$/, ''))).toEqual(FIVE_CHECKS);
    expect(lines[5]).toBe('✓ Brevo API connection successful');
    for (const s of secretsOf()) expect(test.stdout + test.stderr + install.stdout).not.toContain(s);
    // Stored sealed: the data dir's files never hold a credential in clear.
    const files = (await readdir(dir)).filter((f) => f.startsWith('tajo.db'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = await readFile(join(dir, f));
      for (const s of secretsOf()) expect(bytes.includes(Buffer.from(s))).toBe(false);
    }
  });

  it('--json output never contains the secrets passed in', async () => {
    const dir = await newDir();
    const { accountSid, authToken, flexFlowSid, brevoApiKey, twilio, brevo } = emu.info;
    // Flags path: base URLs from a config pointing at the emulator, credentials from flags and env.
    const runs: CliRun[] = [];
    const cfg = join(dir, 'tajo.yaml');
    await writeFile(cfg, `connectors:\n  twilio_flex:\n    base_urls:\n      flex: ${twilio.flex}\n      conversations: ${twilio.conversations}\n      taskrouter: ${twilio.taskrouter}\n      events: ${twilio.events}\nbrevo:\n  base_url: ${brevo}\n`);
    const withCfg = ['--json', '--config', cfg, '--data-dir', dir];
    runs.push(await runCli([...withCfg, 'connectors', 'install', 'twilio-flex', '--account-sid', accountSid, '--auth-token', authToken, '--flex-flow-sid', flexFlowSid, '--brevo-api-key', brevoApiKey]));
    runs.push(await runCli([...withCfg, 'connectors', 'install', 'twilio-flex', '--account-sid', accountSid, '--flex-flow-sid', flexFlowSid], { env: { TWILIO_AUTH_TOKEN: authToken, BREVO_API_KEY: brevoApiKey } }));
    runs.push(await runCli([...withCfg, 'connectors', 'test', 'twilio-flex']));
    runs.push(await runCli([...withCfg, 'connectors', 'status', 'twilio-flex']));
    runs.push(await runCli([...withCfg, 'connectors', 'install', 'twilio-flex', '--account-sid', accountSid, '--flex-flow-sid', flexFlowSid, '--auth-token', `${authToken}x`]));
    expect(runs[0]!.code).toBe(0);
    const ok = runs[1]!;
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ connector: 'twilio-flex', accountSid, workspaceSid: emu.info.workspaceSid, brevoConfigured: true });
    expect(runs[2]!.json()).toMatchObject({ ok: true });
    expect(runs[3]!.json()).toMatchObject({ connected: true });
    expect(runs[4]!.code).toBe(77);
    expect(runs[4]!.json()).toMatchObject({ error: { code: 'TAJO_TWILIO_AUTH' } });
    for (const r of runs) {
      expect(() => r.json()).not.toThrow();
      for (const s of [...secretsOf(), `${authToken}x`]) {
        expect(r.stdout).not.toContain(s);
        expect(r.stderr).not.toContain(s);
      }
    }
  });

  it('401: install prints the fix; test shows ✗ with cause and fix and exits non-zero', async () => {
    const dir = await newDir();
    const bad = await runCli(['--data-dir', dir, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url, '--auth-token', 'not-the-token-0000']);
    expect(bad.code).toBe(77);
    expect(bad.stderr).toContain('TAJO_TWILIO_AUTH');
    expect(bad.stderr).toContain('hint: verify the Account SID and Auth Token');

    expect((await runCli(['--data-dir', dir, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url])).code).toBe(0);
    const cfg = join(dir, 'tajo.yaml');
    await writeFile(cfg, 'connectors:\n  twilio_flex:\n    auth_token: ${WRONG_TOKEN}\n');
    const test = await runCli(['--config', cfg, '--data-dir', dir, 'connectors', 'test', 'twilio-flex'], { env: { WRONG_TOKEN: 'wrong-token-123456' } });
    expect(test.code).toBe(77);
    expect(test.stdout).toContain('✗ Flex API connection failed');
    expect(test.stdout).toMatch(/cause: Twilio rejected the credentials \(HTTP 401 code 20003/);
    expect(test.stdout).toContain('fix: verify the Account SID and Auth Token (or the API key SID and secret)');
    expect(test.stdout).not.toContain('wrong-token-123456');
  });

  it('workspace mismatch: found vs configured', async () => {
    const dir = await newDir();
    expect((await runCli(['--data-dir', dir, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url])).code).toBe(0);
    const other = `WS${'0'.repeat(32)}`;
    const cfg = join(dir, 'tajo.yaml');
    await writeFile(cfg, `connectors:\n  twilio_flex:\n    workspace_sid: ${other}\n`);
    const test = await runCli(['--config', cfg, '--data-dir', dir, 'connectors', 'test', 'twilio-flex']);
    expect(test.code).toBe(78);
    expect(test.stdout).toContain('✗ TaskRouter workspace mismatch');
    expect(test.stdout).toContain(`found ${emu.info.workspaceSid} in Flex Configuration, configured ${other}`);
  });
});

describe('status, bootstrap, keys, dlq, forget', () => {
  it('status has the documented shape', async () => {
    const dir = await newDir();
    const none = await runCli(['--json', '--data-dir', dir, 'connectors', 'status', 'twilio-flex']);
    expect(none.code).toBe(0);
    expect(none.json()).toMatchObject({ connected: false, state: 'not_installed', lastSync: null });

    await runCli(['--data-dir', dir, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url]);
    const s = (await runCli(['--json', '--data-dir', dir, 'connectors', 'status', 'twilio-flex'])).json();
    expect(s).toMatchObject({
      connected: true,
      lastSync: null,
      conversationsTracked: 0,
      customersLinked: 0,
      agentsMonitored: 0,
      state: 'active',
      workspaceSid: emu.info.workspaceSid,
      streams: [],
      outbox: { pending: 0, inflight: 0, delivered: 0, dead: 0, oldestPendingAt: null },
      deadLetters: { open: 0, byReason: {} },
      lastError: null,
    });
    const human = await runCli(['--data-dir', dir, 'connectors', 'status', 'twilio-flex']);
    expect(human.stdout).toContain('Conversations tracked: 0');
  });

  it('bootstrap creates attributes and lists', async () => {
    const dir = await newDir();
    await runCli(['--data-dir', dir, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url]);
    const r = await runCli(['--json', '--data-dir', dir, 'connectors', 'bootstrap', 'twilio-flex', '--create-lists']);
    expect(r.code).toBe(0);
    const rep = r.json<{ attributes: { name: string; action: string }[]; lists: { key: string; id: number; action: string }[] }>();
    expect(rep.attributes.find((a) => a.name === 'SUPPORT_TICKET_COUNT')?.action).toMatch(/created|exists/);
    expect(rep.lists.map((l) => l.key)).toEqual(['support_contacts', 'csat_respondents']);
    const state = (await (await fetch(`${emu.url}/_emulator/brevo/state`)).json()) as { lists: { id: number }[]; attributes: { name: string; type: string }[] };
    for (const l of rep.lists) expect(state.lists.map((x) => x.id)).toContain(l.id);
    expect(state.attributes.find((a) => a.name === 'LAST_SUPPORT_DATE')?.type).toBe('date');
    // the human report prints the list ids as YAML that is a valid tajo.yaml
    const other = await newDir();
    await runCli(['--data-dir', other, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url]);
    const human = await runCli(['--data-dir', other, 'connectors', 'bootstrap', 'twilio-flex', '--create-lists']);
    const snippet = human.stdout.split('Set in tajo.yaml:\n')[1]?.split('\n').filter((l) => l.startsWith('  ')).join('\n') ?? '';
    const lists = parseConfig(snippet).connectors.twilio_flex.lists;
    expect(Object.keys(lists).sort()).toEqual(['csat_respondents', 'support_contacts']);
  });

  it('keys create, list, revoke', async () => {
    const dir = await newDir();
    const created = await runCli(['--json', '--data-dir', dir, 'keys', 'create', '--name', 'ci']);
    expect(created.code).toBe(0);
    const k = created.json<{ id: string; key: string; name: string }>();
    expect(k.key).toMatch(/^tajo_/);
    const list = await runCli(['--json', '--data-dir', dir, 'keys', 'list']);
    expect(list.json<unknown[]>()).toEqual([expect.objectContaining({ id: k.id, name: 'ci' })]);
    expect(list.stdout).not.toContain(k.key);
    expect((await runCli(['--data-dir', dir, 'keys', 'revoke', k.id])).code).toBe(0);
    const after = (await runCli(['--json', '--data-dir', dir, 'keys', 'list'])).json<{ revokedAt?: string }[]>();
    expect(after[0]?.revokedAt).toBeTruthy();
    expect((await runCli(['--data-dir', dir, 'keys', 'revoke', k.id])).code).toBe(64);
  });

  it('dlq list is empty; show of an unknown id exits 64', async () => {
    const dir = await newDir();
    const l = await runCli(['--json', '--data-dir', dir, 'dlq', 'list']);
    expect(l.code).toBe(0);
    expect(l.json()).toEqual([]);
    expect((await runCli(['--data-dir', dir, 'dlq', 'show', '42'])).code).toBe(64);
    expect((await runCli(['--data-dir', dir, 'dlq', 'show', 'abc'])).code).toBe(64);
  });

  it('webhooks registers an Event Streams sink (idempotent) and reports that it awaits the test-event handshake', async () => {
    const dir = await newDir();
    await runCli(['--data-dir', dir, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url]);
    const args = ['--json', '--data-dir', dir, 'connectors', 'webhooks', 'twilio-flex', '--public-url', 'http://127.0.0.1:9/tajo/', '--wait', '0'];
    const first = await runCli(args);
    expect(first.code).toBe(75);
    const r = first.json<{ sinkSid: string; sinkStatus: string; sinkCreated: boolean; sinkUrl: string; subscriptionCreated: boolean }>();
    expect(r).toMatchObject({ sinkCreated: true, subscriptionCreated: false, sinkUrl: 'http://127.0.0.1:9/tajo/webhooks/twilio/event-streams' });
    expect(r.sinkSid).toMatch(/^DG[0-9a-f]{32}$/);
    expect(r.sinkStatus).not.toBe('active');
    const again = (await runCli(args)).json<{ sinkSid: string; sinkCreated: boolean }>();
    expect(again).toMatchObject({ sinkSid: r.sinkSid, sinkCreated: false });
  });

  it('rotate verifies new credentials; uninstall removes the connector', async () => {
    const dir = await newDir();
    await runCli(['--data-dir', dir, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url]);
    const bad = await runCli(['--data-dir', dir, 'connectors', 'rotate', 'twilio-flex', '--auth-token', 'wrong-token-999']);
    expect(bad.code).toBe(77);
    expect(bad.stderr).not.toContain('wrong-token-999');
    const rot = await runCli(['--json', '--data-dir', dir, 'connectors', 'rotate', 'twilio-flex', '--api-key-sid', emu.info.apiKeySid, '--api-key-secret', emu.info.apiKeySecret]);
    expect(rot.code).toBe(0);
    expect(rot.json()).toMatchObject({ authMode: 'api_key', apiKeySid: emu.info.apiKeySid });
    expect(rot.stdout).not.toContain(emu.info.apiKeySecret);
    expect((await runCli(['--data-dir', dir, 'connectors', 'test', 'twilio-flex'])).code).toBe(0);
    expect((await runCli(['--data-dir', dir, 'connectors', 'rotate', 'twilio-flex'])).code).toBe(64);
    expect((await runCli(['--data-dir', dir, 'connectors', 'uninstall', 'twilio-flex'])).code).toBe(0);
    const t = await runCli(['--data-dir', dir, 'connectors', 'test', 'twilio-flex']);
    expect(t.code).toBe(69);
    expect(t.stderr).toContain('TAJO_CONNECTOR_NOT_INSTALLED');
  });

  it('migrate reports the applied migrations', async () => {
    const r = await runCli(['--json', '--data-dir', await newDir(), 'migrate']);
    expect(r.code).toBe(0);
    expect(r.json<{ store: string; applied: number[]; pending: number[] }>()).toMatchObject({ store: 'sqlite', pending: [] });
  });

  it('forget normalises the identifier', async () => {
    const dir = await newDir();
    await runCli(['--data-dir', dir, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url]);
    // nobody holds it: said so (TAJO_PERSON_NOT_FOUND, exit 65), not "Forgotten: 0"
    const r = await runCli(['--json', '--data-dir', dir, 'forget', '+1 (415) 555-0100']);
    expect(r.code).toBe(65);
    expect(r.stdout + r.stderr).toContain('TAJO_PERSON_NOT_FOUND');
  });
});
