/**
 * When the master key file is generated: only to seal the first credentials of a store (a fresh SQLite data dir, a
 * fresh Postgres). A command that opens stored credentials, or an install over credentials sealed with a key this
 * machine does not have, fails with TAJO_MASTER_KEY_MISSING and writes no key (a new key opens nothing, and what it
 * sealed would not open on the other replicas). The CLI runs in-process against the emulator.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../cli/test-helpers/runCli.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { createTestDatabase, postgresAvailable } from '../store/postgres/test-helpers/testDatabase.js';
import { MASTER_KEY_FILE } from './vault.js';

const available = await postgresAvailable();
let emu: RunningEmulator;
let dir: { path: string; cleanup(): Promise<void> };

beforeAll(async () => {
  emu = await startEmulator({ seed: 13, scale: 'small', timeScale: 60 });
  dir = await tempDir('tajo-masterkey-');
});
afterAll(async () => {
  await emu?.close();
  await dir?.cleanup();
});

type ErrorJson = { error: { code: string; message: string; hint?: string } };

describe('SQLite data dir', () => {
  it('a fresh data dir gets a key at install; without its key file the credentials fail with TAJO_MASTER_KEY_MISSING and no new key is written', async () => {
    const dataDir = join(dir.path, 'sqlite');
    const keyFile = join(dataDir, MASTER_KEY_FILE);
    const install = await runCli(['--data-dir', dataDir, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url], { cwd: dir.path });
    expect(install.code, install.stderr).toBe(0);
    expect(existsSync(keyFile)).toBe(true);
    const ok = await runCli(['--data-dir', dataDir, 'connectors', 'test', 'twilio-flex'], { cwd: dir.path });
    expect(ok.code, ok.stderr).toBe(0);

    rmSync(keyFile);
    for (const args of [['connectors', 'test', 'twilio-flex'], ['connectors', 'install', 'twilio-flex', '--emulator', emu.url]]) {
      const r = await runCli(['--json', '--data-dir', dataDir, ...args], { cwd: dir.path });
      expect(r.code, `${args.join(' ')}: ${r.stdout}`).toBe(77);
      expect(r.json<ErrorJson>().error.code).toBe('TAJO_MASTER_KEY_MISSING');
      expect(existsSync(keyFile)).toBe(false);
    }
  });
});

describe.runIf(available)('Postgres store', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('a machine without the key fails with TAJO_MASTER_KEY_MISSING (exit 77) and creates no ./.tajo/master.key; with the key it works', async () => {
    const key = randomBytes(32).toString('base64');
    const first = join(dir.path, 'replica-a');
    mkdirSync(first);
    const install = await runCli(['connectors', 'install', 'twilio-flex', '--emulator', emu.url], { cwd: first, env: { TAJO_DATABASE_URL: db.url, TAJO_MASTER_KEY: key } });
    expect(install.code, install.stderr).toBe(0);

    const second = await tempDir('tajo-masterkey-b-');
    try {
      const keyFile = join(second.path, '.tajo', MASTER_KEY_FILE);
      const env = { TAJO_DATABASE_URL: db.url };
      const test = await runCli(['--json', 'connectors', 'test', 'twilio-flex'], { cwd: second.path, env });
      expect(test.code, test.stdout).toBe(77);
      const err = test.json<ErrorJson>().error;
      expect(err.code).toBe('TAJO_MASTER_KEY_MISSING');
      expect(err.hint).toContain('TAJO_MASTER_KEY');
      expect(existsSync(keyFile)).toBe(false);

      // an install here would seal with a key the first replica does not have: refused before anything is stored
      const reinstall = await runCli(['--json', 'connectors', 'install', 'twilio-flex', '--emulator', emu.url], { cwd: second.path, env });
      expect(reinstall.code, reinstall.stdout).toBe(77);
      expect(reinstall.json<ErrorJson>().error.code).toBe('TAJO_MASTER_KEY_MISSING');
      expect(existsSync(keyFile)).toBe(false);

      const withKey = await runCli(['connectors', 'test', 'twilio-flex'], { cwd: second.path, env: { ...env, TAJO_MASTER_KEY: key } });
      expect(withKey.code, withKey.stderr).toBe(0);
    } finally {
      await second.cleanup();
    }
  });
});
