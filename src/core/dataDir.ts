import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
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
 * that is a file (or under one), or that this user may not create, is the user's setting to fix: TAJO_USAGE.
 */
export function ensureDataDir(dir: string): string {
  let kind: 'dir' | 'other' | 'missing';
  try {
    kind = statSync(dir).isDirectory() ? 'dir' : 'other';
  } catch {
    kind = 'missing';
  }
  if (kind === 'other') throw new TajoError('TAJO_USAGE', `The data dir is not a directory: ${dir}`, { hint: `point ${WHERE} at a directory (it is created when missing)` });
  if (kind === 'missing') {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // mkdir's mode is filtered by the umask; make the leaf exactly 0700.
      if (process.platform !== 'win32') chmodSync(dir, 0o700);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'ENOTDIR' || code === 'EEXIST') {
        throw new TajoError('TAJO_USAGE', `The data dir cannot be created: a part of ${dir} is a file`, { cause: err, hint: `point ${WHERE} at a directory` });
      }
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new TajoError('TAJO_USAGE', `The data dir cannot be created (${code}): ${dir}`, { cause: err, hint: `point ${WHERE} at a directory this user may write, or create it with the right owner` });
      }
      throw err;
    }
  }
  return dir;
}
