import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TajoError } from '../core/errors.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/sqliteStore.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** Where `tajo.db` lives when no URL is given. */
  dataDir: string;
  /** `postgres://…` / `postgresql://…` (scale-out), `sqlite:<file>` / `file:<file>`; default `<dataDir>/tajo.db`. */
  url?: string;
  /** SQLite tuning and test clock. */
  sqlite?: SqliteStoreOptions;
}

/** The store factory, called from `main` (never at import time). Migrations are applied on open. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const url = opts.url?.trim();
  if (!url) {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    return SqliteStore.open(join(opts.dataDir, 'tajo.db'), opts.sqlite);
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    throw new TajoError('TAJO_USAGE', 'postgres backend not available', { hint: 'Omit store.url to use the embedded SQLite store' });
  }
  const file = /^(sqlite|file):(\/\/)?(.+)$/i.exec(url)?.[3];
  if (!file) {
    throw new TajoError('TAJO_USAGE', 'Unsupported store URL: use postgres://…, sqlite:<file> or omit it for <data dir>/tajo.db');
  }
  return SqliteStore.open(file, opts.sqlite);
}
