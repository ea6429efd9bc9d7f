/** The shipped emulators, as the CLI starts them (`tajo emulator`, `tajo demo`). */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { TajoError } from '../core/errors.js';
import { FaultFileSchema, startEmulator, type FaultFile } from '../emulators/index.js';

export { startEmulator };
export type { EmulatorInfo, RunningEmulator, StartEmulatorOptions } from '../emulators/index.js';

/** Reads a fault file (YAML or JSON), reporting problems as a usage error. */
export function readFaultFile(file: string): FaultFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TajoError('TAJO_USAGE', `Cannot read the fault file ${file}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new TajoError('TAJO_USAGE', `The fault file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}`, { cause: err });
  }
  const r = FaultFileSchema.safeParse(doc ?? {});
  if (!r.success) {
    throw new TajoError('TAJO_USAGE', `The fault file ${file} is invalid`, {
      details: r.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })),
    });
  }
  return r.data;
}

/** SQLite's answers to a `--world` file it cannot use (better-sqlite3's SqliteError codes). */
const WORLD_FILE_ERRORS = new Set(['SQLITE_CANTOPEN', 'SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_READONLY', 'SQLITE_PERM', 'SQLITE_IOERR']);

const worldHint = 'pass a file in an existing directory: it is created when missing and reused when it holds a world';

/** `--world FILE` as the user's setting: a directory, or a file in no directory, is TAJO_USAGE before anything starts. */
export function checkWorldFile(file: string, cwd: string): string {
  const path = resolve(cwd, file);
  const kind = (p: string) => {
    try {
      return statSync(p).isDirectory() ? 'dir' : 'file';
    } catch {
      return 'missing';
    }
  };
  if (kind(path) === 'dir') throw new TajoError('TAJO_USAGE', `--world ${file} is a directory, not a file`, { hint: worldHint });
  if (kind(dirname(path)) !== 'dir') throw new TajoError('TAJO_USAGE', `--world ${file}: the directory ${dirname(path)} does not exist`, { hint: worldHint });
  return path;
}

/** A world file SQLite cannot open or read (not a database, no permission) is TAJO_USAGE; anything else is unchanged. */
export function explainWorldError(err: unknown, file: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !WORLD_FILE_ERRORS.has(code)) return err;
  const what = code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' ? 'is not an emulator world (not a SQLite database)' : 'cannot be opened';
  return new TajoError('TAJO_USAGE', `--world ${file} ${what} (${code})`, { hint: worldHint, cause: err });
}
