import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bufferIo } from '../io.js';
import { main } from '../main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document of `--json`. */
  json<T = Record<string, unknown>>(): T;
}

/** Runs the CLI in-process with captured output (no child process, no real env). */
export async function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; isTTY?: boolean } = {}): Promise<CliRun> {
  const io = bufferIo({ env: opts.env ?? {}, ...(opts.cwd ? { cwd: opts.cwd } : {}), ...(opts.isTTY ? { isTTY: true } : {}) });
  const code = await main(['node', 'tajo', ...args], io);
  const stdout = io.stdoutText();
  const stderr = io.stderrText();
  return {
    code,
    stdout,
    stderr,
    json: <T>() => {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`stdout is not one JSON document:\n${stdout}\nstderr:\n${stderr}`);
      }
    },
  };
}

export async function tempDir(prefix = 'tajo-cli-'): Promise<{ path: string; cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}
