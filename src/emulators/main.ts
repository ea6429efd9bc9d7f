/**
 * The emulator as a process: `node dist/emulators/main.js --port 0 [--seed N --scale small --time-scale 60 …]`.
 * Prints the EmulatorInfo as one JSON line on stdout once listening; stops on SIGTERM/SIGINT.
 */
import { parseEmulatorArgs } from './args.js';
import { startEmulator } from './compose.js';

async function run(): Promise<void> {
  const emulator = await startEmulator(parseEmulatorArgs(process.argv.slice(2)));
  process.stdout.write(`${JSON.stringify(emulator.info)}\n`);
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

run().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
