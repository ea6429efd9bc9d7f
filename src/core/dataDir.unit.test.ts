import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDataDir, resolveDataDir } from './dataDir.js';
import { TajoError } from './errors.js';

const cwd = resolve('/srv/app');

describe('resolveDataDir', () => {
  it('prefers --data-dir, then TAJO_DATA_DIR, then config data_dir, then ./.tajo', () => {
    const all = { flag: 'flag', env: { TAJO_DATA_DIR: 'env' }, configured: 'cfg', cwd };
    expect(resolveDataDir(all)).toBe(join(cwd, 'flag'));
    expect(resolveDataDir({ ...all, flag: undefined })).toBe(join(cwd, 'env'));
    expect(resolveDataDir({ ...all, flag: ' ', env: { TAJO_DATA_DIR: '' } })).toBe(join(cwd, 'cfg'));
    expect(resolveDataDir({ env: {}, cwd })).toBe(join(cwd, '.tajo'));
  });

  it('resolves a relative config data_dir against the config file, absolute paths as given', () => {
    expect(resolveDataDir({ env: {}, configured: './state', configPath: 'conf/tajo.yaml', cwd })).toBe(join(cwd, 'conf', 'state'));
    const abs = resolve('/var/lib/tajo');
    expect(resolveDataDir({ env: {}, configured: abs, configPath: 'conf/tajo.yaml', cwd })).toBe(abs);
    expect(resolveDataDir({ env: { TAJO_DATA_DIR: abs }, cwd })).toBe(abs);
  });
});

describe('ensureDataDir', () => {
  const root = mkdtempSync(join(tmpdir(), 'tajo-datadir-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('creates missing directories with mode 0700 and is idempotent', () => {
    const dir = join(root, 'a', 'b');
    expect(ensureDataDir(dir)).toBe(dir);
    expect(ensureDataDir(dir)).toBe(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    if (process.platform !== 'win32') expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});

describe('ensureDataDir on a path that cannot be a data dir', () => {
  const base = mkdtempSync(join(tmpdir(), 'tajo-datadir-file-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('a file, or a path under a file, is TAJO_USAGE naming the settings to fix', () => {
    const file = join(base, 'afile');
    writeFileSync(file, 'x');
    for (const dir of [file, join(file, 'sub')]) {
      let err: unknown;
      try {
        ensureDataDir(dir);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TajoError);
      expect(err).toMatchObject({ code: 'TAJO_USAGE', exitCode: 64, hint: expect.stringContaining('--data-dir') });
    }
  });
});
