import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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

describe('ensureDataDir where this user cannot write (fails fast, naming the directory)', () => {
  /** ensureDataDir in a child process: Node 20's recursive mkdir spins forever on /proc paths, a timeout stops it. */
  async function inChild(dir: string): Promise<{ code?: string; message?: string; hint?: string; ok?: true }> {
    const mod = fileURLToPath(new URL('./dataDir.ts', import.meta.url));
    const code = `import { ensureDataDir } from ${JSON.stringify(mod)};
      try { ensureDataDir(${JSON.stringify(dir)}); console.log(JSON.stringify({ ok: true })); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, hint: e.hint })); }`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeout: 15_000 });
    return JSON.parse(stdout) as { code?: string; message?: string; hint?: string };
  }

  it.runIf(process.platform === 'linux')('a missing dir under /proc (nothing can be created there) is TAJO_USAGE at once', async () => {
    for (const dir of ['/proc/tajo-x', '/proc/tajo-x/sub']) {
      const r = await inChild(dir);
      expect(r).toMatchObject({ code: 'TAJO_USAGE', hint: expect.stringContaining('--data-dir') });
      expect(r.message).toContain(dir);
    }
  }, 40_000);

  it.runIf(process.platform === 'linux')('an existing dir no file can be created in is TAJO_USAGE naming it (root included)', () => {
    let err: unknown;
    try {
      ensureDataDir('/proc');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'TAJO_USAGE', message: expect.stringContaining('/proc'), hint: expect.stringContaining('--data-dir') });
  });

  it('a writable existing dir passes and keeps no probe file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tajo-datadir-probe-'));
    try {
      expect(ensureDataDir(dir)).toBe(dir);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a path under a file names the file', () => {
    const base = mkdtempSync(join(tmpdir(), 'tajo-datadir-file2-'));
    try {
      const file = join(base, 'afile');
      writeFileSync(file, 'x');
      expect(() => ensureDataDir(join(file, 'a', 'b'))).toThrow(`(${file})`);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
