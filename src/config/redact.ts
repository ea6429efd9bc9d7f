import { SECRET_PATHS, type TajoConfig } from './schema.js';

export const REDACTED = '[redacted]';

/** A deep copy with every SECRET_PATHS value that is set replaced by "[redacted]" (for `--json` output and logs). */
export function redactConfig(config: TajoConfig): TajoConfig {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const path of SECRET_PATHS) {
    const parts = path.split('.');
    let node: unknown = copy;
    for (const p of parts.slice(0, -1)) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined;
    const last = parts[parts.length - 1]!;
    if (node && typeof node === 'object' && (node as Record<string, unknown>)[last] !== undefined) (node as Record<string, unknown>)[last] = REDACTED;
  }
  return copy as unknown as TajoConfig;
}
