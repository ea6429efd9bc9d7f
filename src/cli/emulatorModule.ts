/** The emulators' entry (`src/emulators/index.ts`), loaded lazily: the CLI only needs it for `emulator` and `demo`. */
import { lazyImport } from '../sdk/internal/lazy.js';
import type { EmulatorInfo } from './emulatorInfo.js';

export interface StartEmulatorOptions {
  port?: number;
  host?: string;
  seed?: number;
  scale?: 'small' | 'reference' | 'large';
  timeScale?: number;
  now?: string;
  /** Fault file path. */
  faults?: string;
}

export interface RunningEmulator {
  info: EmulatorInfo;
  url: string;
  close(): Promise<void>;
  /** The generator's ground truth: expected Brevo contacts, events and dead letters. */
  truth(): unknown;
  /** Generates `count` more interactions (after the current emulated time). */
  generateMore(count: number): unknown;
}

export async function startEmulator(opts: StartEmulatorOptions): Promise<RunningEmulator> {
  const mod = await lazyImport<{ startEmulator(o: StartEmulatorOptions): Promise<RunningEmulator> }>(new URL('../emulators/index.js', import.meta.url), 'The emulator');
  return mod.startEmulator(opts);
}
