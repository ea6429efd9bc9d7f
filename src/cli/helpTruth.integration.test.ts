import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
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
