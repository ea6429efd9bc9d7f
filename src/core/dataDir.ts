import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_DATA_DIR } from '../config/defaults.js';
import { TajoError } from './errors.js';

export interface DataDirSources {
  /** `--data-dir` option. */
  flag?: string | undefined;
  /** Environment (`TAJO_DATA_DIR`); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** `data_dir` from the loaded config. */
  configured?: string | undefined;
  /** The config file it came from: a relative `data_dir` is relative to that file. */
  configPath?: string | undefined;
  /** Base for relative flag/env values and the default; default `process.cwd()`. */
  cwd?: string;
}

/** Where Tajo keeps its state: `--data-dir`, else `TAJO_DATA_DIR`, else config `data_dir`, else `./.tajo`. Absolute. */
export function resolveDataDir(src: DataDirSources = {}): string {
  const cwd = src.cwd ?? process.cwd();
  const env = src.env ?? process.env;
  const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);
  const flag = nonEmpty(src.flag) ?? nonEmpty(env.TAJO_DATA_DIR);
  if (flag) return resolve(cwd, flag);
  const configured = nonEmpty(src.configured);
  if (configured) {
    if (isAbsolute(configured)) return configured;
    return resolve(src.configPath ? dirname(resolve(cwd, src.configPath)) : cwd, configured);
  }
  return resolve(cwd, DEFAULT_DATA_DIR);
}

const WHERE = '--data-dir, TAJO_DATA_DIR or data_dir in tajo.yaml';

/**
 * Creates the data dir (and parents) with mode 0700 when missing; returns it. An existing dir is left as is. A path
 * that is a file (or under one), or where this user may not create or write files, is the user's setting to fix:
 * TAJO_USAGE naming the directory. Checked up front, so the store never fails later with a bare SQLITE_CANTOPEN.
 */
export function ensureDataDir(dir: string): string {
  const kind = kindOf(dir);
  if (kind === 'other') throw new TajoError('TAJO_USAGE', `The data dir is not a directory: ${dir}`, { hint: `point ${WHERE} at a directory (it is created when missing)` });
  if (kind === 'dir') {
    const code = probeWrite(dir);
    if (code) throw new TajoError('TAJO_USAGE', `Cannot write in the data dir (${code}): ${dir}`, { hint: `point ${WHERE} at a directory this user may write, or give this user write access to it` });
    return dir;
  }
  // Node 20's mkdir({ recursive: true }) never returns where mkdir answers ENOENT under an existing directory (any
  // path in /proc): find the nearest existing ancestor, check that files can be created in it, then create each
  // missing level in turn.
  const missing: string[] = [];
  let at = dir;
  for (let k: ReturnType<typeof kindOf> = kind; k !== 'dir'; k = kindOf(at)) {
    if (k === 'other') throw new TajoError('TAJO_USAGE', `The data dir cannot be created: a part of ${dir} is a file (${at})`, { hint: `point ${WHERE} at a directory` });
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  const code = probeWrite(at);
  if (code) {
    throw new TajoError('TAJO_USAGE', `The data dir cannot be created (${code}): ${dir} (cannot write in ${at})`, { hint: `point ${WHERE} at a directory this user may write, or create it with the right owner` });
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (err) {
      const c = (err as NodeJS.ErrnoException).code ?? 'error';
      if (c === 'EEXIST' && kindOf(d) === 'dir') continue; // another process created it meanwhile
      throw new TajoError('TAJO_USAGE', `The data dir cannot be created (${c}): ${dir}`, { cause: err, hint: `point ${WHERE} at a directory this user may write, or create it with the right owner` });
    }
  }
  // mkdir's mode is filtered by the umask; make the leaf exactly 0700.
  if (process.platform !== 'win32') chmodSync(dir, 0o700);
  return dir;
}

function kindOf(path: string): 'dir' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

/**
 * Creates and removes a file in `dir`; the error code when that fails, else undefined. access(W_OK) is not enough: it
 * says yes to root everywhere, also in /proc where nothing can be created.
 */
function probeWrite(dir: string): string | undefined {
  const probe = join(dir, `.tajo-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'error';
  }
  try {
    unlinkSync(probe);
  } catch {
    // created but not removable: a leftover empty file, harmless
  }
  return undefined;
}
