import { SECRET_PATHS, type TajoConfig } from './schema.js';

export const REDACTED = '[redacted]';

/**
 * A deep copy with every SECRET_PATHS value that is set replaced by "[redacted]" (for `--json` output and logs), and
 * the password of a `store.url` (postgres://user:password@host/db) too.
 */
export function redactConfig(config: TajoConfig): TajoConfig {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const path of SECRET_PATHS) {
    const parts = path.split('.');
    let node: unknown = copy;
    for (const p of parts.slice(0, -1)) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined;
    const last = parts[parts.length - 1]!;
    if (node && typeof node === 'object' && (node as Record<string, unknown>)[last] !== undefined) (node as Record<string, unknown>)[last] = REDACTED;
  }
  const store = copy.store as { url?: string } | undefined;
  if (store?.url) store.url = redactUrlPassword(store.url);
  return copy as unknown as TajoConfig;
}

/** `scheme://user:password@host…` → `scheme://user:[redacted]@host…`; other strings unchanged. */
export function redactUrlPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, `$1:${REDACTED}@`);
}
