import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulators/index.js';

export interface EmulatorSuite {
  /** The suite's emulator (started before its tests, closed after them). */
  readonly emu: RunningEmulator;
  /** A fresh temporary directory, removed after the suite. */
  tempDir(prefix: string): Promise<string>;
}

/** One emulator (small scale, time ×20 unless told) for a test file, and temporary data dirs cleaned up after it. */
export function emulatorSuite(seed: number, opts: { timeScale?: number } = {}): EmulatorSuite {
  let emu: RunningEmulator | undefined;
  const dirs: string[] = [];
  beforeAll(async () => {
    emu = await startEmulator({ seed, scale: 'small', timeScale: opts.timeScale ?? 20 });
  });
  afterAll(async () => {
    await emu?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  return {
    get emu(): RunningEmulator {
      if (!emu) throw new Error('the emulator starts in beforeAll: use it inside tests');
      return emu;
    },
    async tempDir(prefix: string): Promise<string> {
      const d = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
  };
}
