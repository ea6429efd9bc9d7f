/** The shipped emulators, as the CLI starts them (`tajo emulator`, `tajo demo`). */
import { readFileSync } from 'node:fs';
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
