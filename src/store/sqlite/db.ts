import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TajoError } from '../../core/errors.js';
import { migrationFailed, pendingMigrations, type Migration } from '../migration.js';

type Statement = Database.Statement<unknown[], unknown>;

export interface SqliteDbOptions {
  /** How long a writer waits for another process's lock before failing with TAJO_STORE_UNAVAILABLE. */
  busyTimeoutMs?: number;
  /** `full` (default) makes every commit durable when it resolves (webhook inbox contract); `normal` is faster. */
  synchronous?: 'full' | 'normal';
}

/** SQLite result codes that mean "the store cannot serve now" rather than a bug. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOTADB|CORRUPT)/;

export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE.test(code);
}

/** Re-throws SQLite I/O and lock failures as TAJO_STORE_UNAVAILABLE; everything else unchanged. */
export function mapSqliteError(err: unknown): never {
  if (err instanceof TajoError) throw err;
  if (isUnavailable(err)) {
    const code = (err as { code: string }).code;
    throw new TajoError('TAJO_STORE_UNAVAILABLE', `State store is unavailable (${code})`, { cause: err });
  }
  throw err;
}

/** Page cache per connection, in KiB. */
const CACHE_KIB = 8192;

/** One better-sqlite3 connection with pragmas set and a prepared-statement cache. */
export class SqliteDb {
  readonly db: Database.Database;
  private readonly cache = new Map<string, Statement>();

  constructor(readonly file: string, opts: SqliteDbOptions = {}) {
    try {
      this.db = new Database(file, { timeout: opts.busyTimeoutMs ?? 5000 });
      // busy_timeout first so the WAL switch waits for a peer that is opening the same file.
      this.db.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs ?? 5000)}`);
      retryBusy(() => this.db.pragma('journal_mode = WAL'));
      this.db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      this.db.pragma('foreign_keys = ON');
      // 8 MB of page cache per connection instead of better-sqlite3's 16 MB (SQLite's own default is 2 MB): a large
      // backfill's store outgrows any cache, and the second half of it stayed resident (bench:sync, large scale).
      this.db.pragma(`cache_size = -${CACHE_KIB}`);
    } catch (err) {
      if (err instanceof TypeError && /directory does not exist/.test(err.message)) {
        // better-sqlite3's own check (a `sqlite:<file>` store URL in a missing directory), thrown as a TypeError
        throw new TajoError('TAJO_USAGE', `The state store's directory does not exist: ${dirname(file)}`, { cause: err, hint: 'create it, or point the store URL at a file in an existing directory' });
      }
      const code = (err as { code?: unknown } | null)?.code;
      if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
        // the file is the user's setting (a path is no secret): say which one, and what SQLite needs there
        throw new TajoError('TAJO_STORE_UNAVAILABLE', `State store is unavailable (${code}): cannot open ${file} for writing`, {
          cause: err, hint: 'the file and its directory must exist and be writable by this user (SQLite creates its -wal and -shm files next to it)',
        });
      }
      mapSqliteError(err);
    }
  }

  /** A cached prepared statement. */
  stmt(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` in a `BEGIN IMMEDIATE` transaction (takes the write lock up front: no upgrade deadlocks). */
  tx<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      mapSqliteError(err);
    }
  }

  /** A read outside an explicit transaction, with error mapping. */
  read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      mapSqliteError(err);
    }
  }

  close(): void {
    this.cache.clear();
    if (this.db.open) this.db.close();
  }

  /** Applied migration ids (empty on a fresh file). */
  appliedMigrations(): number[] {
    const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (!exists) return [];
    return (this.db.prepare('SELECT id FROM schema_migrations ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  }

  /**
   * Applies pending migrations in one `BEGIN IMMEDIATE` transaction: a second process opening the same file waits
   * for the lock (busy_timeout), then finds everything applied.
   */
  migrate(migrations: readonly Migration[]): number[] {
    const run = () => {
      this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      const done: number[] = [];
      for (const m of pendingMigrations(migrations, this.appliedMigrations())) {
        try {
          this.db.exec(m.sql);
        } catch (err) {
          if (isUnavailable(err)) throw err;
          throw migrationFailed(m, err);
        }
        this.db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(m.id, m.name, new Date().toISOString());
        done.push(m.id);
      }
      return done;
    };
    return this.tx(run);
  }
}

/** Retries an operation that failed with SQLITE_BUSY despite busy_timeout (journal-mode switch on first open). */
function retryBusy<T>(fn: () => T, attempts = 50): T {
  for (let i = 0; ; i++) {
    try {
      return fn();
    } catch (err) {
      if (i >= attempts || !isUnavailable(err)) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 + i * 5);
    }
  }
}
