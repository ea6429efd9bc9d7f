import { Option, type Command } from 'commander';
import { signalShutdown } from '../io.js';
import type { CommandEnv } from '../main.js';
import { checkWorldFile, explainWorldError, readFaultFile, startEmulator } from '../emulatorModule.js';
import { listenOrExplain } from '../listen.js';
import { intOption, isoDate, positiveNumber } from '../options.js';

export function registerEmulatorCommand(program: Command, env: CommandEnv): void {
  program
    .command('emulator')
    .description('serve the Twilio + Brevo emulators on one port; prints one JSON line with URLs and throwaway credentials')
    .option('--port <n>', 'port (0 = any free port)', intOption(0, 65535), 0)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--seed <n>', 'generator seed (default 1); also derives the credentials, which are random otherwise', intOption(0))
    .addOption(new Option('--scale <scale>', 'generated contact center size').choices(['small', 'reference', 'large']).default('small'))
    .option('--time-scale <x>', 'multiply rate limits and divide latencies by x; the emulated clock runs x times faster', positiveNumber, 1)
    .option('--now <iso>', 'emulated start time of a new world (default: the real time; a reused --world starts at its own)', isoDate)
    .option('--faults <file>', 'fault injection file (YAML or JSON)')
    .option('--world <file>', 'keep the generated world in this SQLite file (reused when it exists: its world and time win over --scale, --seed and --now)')
    .action(async (o: { port: number; host: string; seed?: number; scale: 'small' | 'reference' | 'large'; timeScale: number; now?: string; faults?: string; world?: string }) => {
      const ctx = env.ctx();
      const world = o.world !== undefined ? checkWorldFile(o.world, ctx.io.cwd) : undefined;
      const start = () => startEmulator({
        port: o.port,
        host: o.host,
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        scale: o.scale,
        timeScale: o.timeScale,
        ...(o.now ? { now: o.now } : {}),
        ...(o.faults ? { faults: readFaultFile(o.faults) } : {}),
        ...(world ? { worldPath: world } : {}),
      }).catch((err: unknown) => {
        throw world ? explainWorldError(err, o.world!) : err;
      });
      const emu = await listenOrExplain(start, 'tajo emulator', o.host, o.port);
      ctx.onClose(() => emu.close());
      // The one documented exception to "no secrets in output": the emulator's own throwaway credentials.
      ctx.out.raw(`${JSON.stringify(emu.info)}\n`);
      await (ctx.io.waitForShutdown ?? signalShutdown)();
    });
}
