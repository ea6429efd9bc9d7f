/**
 * When the master key file is generated: only to seal the first credentials of a store (a fresh SQLite data dir, a
 * fresh Postgres). A command that opens stored credentials, or an install over credentials sealed with a key this
 * machine does not have, fails with TAJO_MASTER_KEY_MISSING and writes no key (a new key opens nothing, and what it
 * sealed would not open on the other replicas). The CLI runs in-process against the emulator.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../cli/test-helpers/runCli.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { createTestDatabase, postgresAvailable } from '../store/postgres/test-helpers/testDatabase.js';
import { openStore } from '../store/openStore.js';
import { MASTER_KEY_FILE, parseMasterKey, Vault } from './vault.js';

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

/**
 * A machine whose master key (`useKey`) is not the one the store's credentials were sealed with: install and rotate are
 * refused with TAJO_CREDENTIALS_DECRYPT before anything is stored (the store would otherwise hold credentials under two
 * keys), the stored ones still open with the right key; with the right key a re-install re-seals; the recovery path
 * (uninstall, then install) works with the new key.
 */
async function wrongKeyScenario(o: { cwd: string; args: string[]; storeUrl?: string; dataDir: string; useKey(key: string): NodeJS.ProcessEnv; keyA: () => string }) {
  const run = (key: string, ...args: string[]) => runCli(['--json', ...o.args, ...args], { cwd: o.cwd, env: o.useKey(key) });
  const keyB = randomBytes(32).toString('base64');
  const snapshot = async () => {
    const store = await openStore({ dataDir: o.dataDir, ...(o.storeUrl ? { url: o.storeUrl } : {}) });
    try {
      return { secrets: await store.getSecrets('twilio-flex'), connector: await store.getConnector('twilio-flex') };
    } finally {
      await store.close();
    }
  };
  const first = await run('', 'connectors', 'install', 'twilio-flex', '--emulator', emu.url);
  expect(first.code, first.stdout).toBe(0);
  const keyA = o.keyA();
  const before = await snapshot();
  expect(Object.keys(before.secrets).length).toBeGreaterThan(0);

  for (const args of [
    ['connectors', 'install', 'twilio-flex', '--emulator', emu.url],
    ['connectors', 'rotate', 'twilio-flex', '--auth-token', emu.info.authToken],
  ]) {
    const r = await run(keyB, ...args);
    expect(r.code, `${args[1]}: ${r.stdout}`).toBe(77);
    const err = r.json<ErrorJson>().error;
    expect(err.code).toBe('TAJO_CREDENTIALS_DECRYPT');
    expect(err.hint).toContain('TAJO_MASTER_KEY');
    expect(err.hint).toContain(MASTER_KEY_FILE);
    expect(err.hint).toContain('tajo connectors uninstall twilio-flex');
    expect(r.stdout).not.toContain(keyB);
    expect(r.stdout).not.toContain(keyA);
    expect(await snapshot(), `${args[1]} stored nothing`).toEqual(before);
  }
  const vaultA = new Vault(parseMasterKey(keyA));
  expect(vaultA.openAll('twilio-flex', before.secrets).authToken).toBe(emu.info.authToken);
  expect((await run(keyA, 'connectors', 'test', 'twilio-flex')).code).toBe(0);

  // the right key: the re-install re-seals (new IVs), still under A
  const again = await run(keyA, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url);
  expect(again.code, again.stdout).toBe(0);
  const resealed = (await snapshot()).secrets;
  expect(resealed).not.toEqual(before.secrets);
  expect(vaultA.openAll('twilio-flex', resealed).authToken).toBe(emu.info.authToken);
  const rotated = await run(keyA, 'connectors', 'rotate', 'twilio-flex', '--auth-token', emu.info.authToken);
  expect(rotated.code, rotated.stdout).toBe(0);

  // the recovery path the hint names: uninstall, then install with the new key
  expect((await run(keyB, 'connectors', 'uninstall', 'twilio-flex')).code).toBe(0);
  const fresh = await run(keyB, 'connectors', 'install', 'twilio-flex', '--emulator', emu.url);
  expect(fresh.code, fresh.stdout).toBe(0);
  const test = await run(keyB, 'connectors', 'test', 'twilio-flex');
  expect(test.code, test.stdout).toBe(0);
}

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

describe('SQLite data dir, a master.key that is not the one the credentials were sealed with', () => {
  it('install and rotate are refused with TAJO_CREDENTIALS_DECRYPT and store nothing; the right key re-seals; uninstall + install recovers', async () => {
    const dataDir = join(dir.path, 'sqlite-wrong-key');
    const keyFile = join(dataDir, MASTER_KEY_FILE);
    await wrongKeyScenario({
      cwd: dir.path,
      args: ['--data-dir', dataDir],
      dataDir,
      // the first install generates the key file (key A); a key given here replaces the file's content
      useKey: (key) => {
        if (key) writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
        return {};
      },
      keyA: () => readFileSync(keyFile, 'utf8').trim(),
    });
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

  it('a replica with another TAJO_MASTER_KEY: install and rotate refused with TAJO_CREDENTIALS_DECRYPT, nothing stored; the right key re-seals', async () => {
    const other = await createTestDatabase();
    const cwd = join(dir.path, 'replica-wrong-key');
    mkdirSync(cwd);
    const keyA = randomBytes(32).toString('base64');
    try {
      await wrongKeyScenario({
        cwd,
        args: [],
        storeUrl: other.url,
        dataDir: join(cwd, '.tajo'),
        useKey: (key) => ({ TAJO_DATABASE_URL: other.url, TAJO_MASTER_KEY: key || keyA }),
        keyA: () => keyA,
      });
      expect(existsSync(join(cwd, '.tajo', MASTER_KEY_FILE))).toBe(false);
    } finally {
      await other.drop();
    }
  });
});
