import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EmulatorInfo } from './compose.js';

export interface EmulatorProcessOptions {
  /** Command-line flags for main (e.g. `['--seed', '7', '--scale', 'reference']`). `--port 0` is added when absent. */
  args?: string[];
  /** Milliseconds to wait for the info line (default 120 s: large worlds take time to generate). */
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface EmulatorProcess {
  info: EmulatorInfo;
  /** Base URL (without vendor prefix). */
  url: string;
  child: ChildProcess;
  close(): Promise<void>;
}

/**
 * Runs the emulator in its own process (for benchmarks): spawns `main.js` (or `main.ts` through tsx when running
 * from sources) and resolves with the info line it prints.
 */
export function runEmulatorProcess(opts: EmulatorProcessOptions = {}): Promise<EmulatorProcess> {
  const js = fileURLToPath(new URL('./main.js', import.meta.url));
  const ts = fileURLToPath(new URL('./main.ts', import.meta.url));
  const fromSources = !existsSync(js) && existsSync(ts);
  const args = [...(opts.args ?? [])];
  if (!args.includes('--port')) args.push('--port', '0');
  const nodeArgs = fromSources ? ['--import', 'tsx', ts, ...args] : [js, ...args];
  const child = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`emulator did not start: ${err.trim()}`));
    }, opts.startTimeoutMs ?? 120_000);
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited with ${String(code)}: ${err.trim()}`));
    });
    const onData = (c: Buffer): void => {
      out += c.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.removeAllListeners('exit');
      const info = JSON.parse(out.slice(0, nl)) as EmulatorInfo;
      const url = info.brevo.replace(/\/brevo\/v3$/, '');
      resolve({
        info,
        url,
        child,
        close: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout?.on('data', onData);
  });
}
