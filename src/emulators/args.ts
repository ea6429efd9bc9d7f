import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { FaultFileSchema } from './common/faults.js';
import type { StartEmulatorOptions } from './compose.js';

/** `--port 0 --host 127.0.0.1 --seed 7 --scale small --time-scale 60 --now ISO --faults FILE --world FILE` → options. */
export function parseEmulatorArgs(argv: readonly string[]): StartEmulatorOptions {
  const opts: StartEmulatorOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    const num = (): number => {
      const v = Number(value());
      if (!Number.isFinite(v)) throw new Error(`${name} needs a number`);
      return v;
    };
    switch (name) {
      case '--port': opts.port = num(); break;
      case '--host': opts.host = value(); break;
      case '--seed': opts.seed = num(); break;
      case '--scale': {
        const s = value();
        if (s !== 'small' && s !== 'reference' && s !== 'large') throw new Error('--scale must be small, reference or large');
        opts.scale = s;
        break;
      }
      case '--time-scale': opts.timeScale = num(); break;
      case '--now': opts.now = value(); break;
      case '--world': opts.worldPath = value(); break;
      case '--faults': {
        const file = value();
        const text = readFileSync(file, 'utf8');
        opts.faults = FaultFileSchema.parse(file.endsWith('.json') ? JSON.parse(text) : parseYaml(text));
        break;
      }
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return opts;
}
