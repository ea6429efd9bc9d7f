import { join } from 'node:path';
import { ensureDataDir } from '../core/dataDir.js';
import { TajoError } from '../core/errors.js';
import type { PostgresStoreOptions } from './postgres/postgresStore.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/sqliteStore.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** Where `tajo.db` lives when no URL is given. */
  dataDir: string;
  /** `postgres://…` / `postgresql://…` (scale-out), `sqlite:<file>` / `file:<file>`; default `<dataDir>/tajo.db`. */
  url?: string;
  /** SQLite tuning and test clock. */
  sqlite?: SqliteStoreOptions;
  /** Postgres pool options and test clock. */
  postgres?: PostgresStoreOptions;
}

/** The store factory, called from `main` (never at import time). Migrations are applied on open. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const url = opts.url?.trim();
  if (!url) {
    return SqliteStore.open(join(ensureDataDir(opts.dataDir), 'tajo.db'), opts.sqlite);
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    // Loaded on demand: the embedded default never pays for the pg driver.
    const { PostgresStore } = await import('./postgres/postgresStore.js');
    return PostgresStore.open(url, opts.postgres);
  }
  const file = /^(sqlite|file):(\/\/)?(.+)$/i.exec(url)?.[3];
  if (!file) {
    throw new TajoError('TAJO_USAGE', 'Unsupported store URL: use postgres://…, sqlite:<file> or omit it for <data dir>/tajo.db');
  }
  return SqliteStore.open(file, opts.sqlite);
}
