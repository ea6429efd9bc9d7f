import { createHash } from 'node:crypto';
import pg from 'pg';
import { TajoError } from '../../core/errors.js';
import { migrationFailed, pendingMigrations, type Migration } from '../migration.js';

export type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PgDbOptions {
  /** Pool size (default 10). */
  max?: number;
  /** Fail a query waiting for a connection after this long (default 10 s). */
  connectionTimeoutMs?: number;
}

/** Arbitrary constant: the advisory lock every Tajo process takes to migrate. */
const MIGRATION_LOCK = '7302164190343221';

/** int8 → number (ids, counts, ms fit in 2^53); json/jsonb → raw text, decoded by the shared row mappers. */
const TEXT_JSON = new Set([114, 3802]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === 20) return (v: string) => Number(v);
    if (TEXT_JSON.has(oid)) return (v: string) => v;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/** SQLSTATE classes and socket errors meaning "cannot serve now" (connection, shutdown, resources, serialization). */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P|40001|40P01)/;
/** Deadlock / serialization failure: the transaction did nothing and is retried (replicas writing overlapping keys). */
const RETRY_SQLSTATE = new Set(['40P01', '40001']);
const RETRIES = 4;
const isRetryable = (err: unknown) => RETRY_SQLSTATE.has(String((err as { code?: unknown } | null)?.code ?? ''));
const backoff = (attempt: number) => new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20 * attempt));
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', 'EAI_AGAIN']);

/** Inside a transaction, a deadlock stays a raw pg error until `tx` decides to retry or map it. */
function mapOrRaw(err: unknown): unknown {
  if (isRetryable(err)) return err;
  try {
    mapPgError(err);
  } catch (mapped) {
    return mapped;
  }
}

/**
 * SQLSTATEs that mean the store URL names something the server does not have (3D000 invalid_catalog_name: no such
 * database; class 28 invalid authorization: no such role, wrong password, refused by pg_hba): the user's setting to
 * fix, not an outage to wait out. Their messages name the database or role, never the password.
 */
const SETTING_SQLSTATE: Record<string, { what: string; hint: string }> = {
  '3D000': { what: 'the database does not exist', hint: 'create it (e.g. `createdb <name>`; Tajo creates its tables) or fix the database name in store.url / TAJO_DATABASE_URL' },
  '28000': { what: 'the server refused this role', hint: 'check the user in store.url / TAJO_DATABASE_URL exists and that pg_hba.conf lets it connect from here' },
  '28P01': { what: 'the password was refused', hint: 'check the password in store.url / TAJO_DATABASE_URL (or PGPASSWORD / ~/.pgpass)' },
};

export function mapPgError(err: unknown): never {
  if (err instanceof TajoError) throw err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : '';
  const setting = typeof code === 'string' ? (SETTING_SQLSTATE[code] ?? (code.startsWith('28') ? SETTING_SQLSTATE['28000'] : undefined)) : undefined;
  if (setting) {
    throw new TajoError('TAJO_CONFIG_INVALID', `Postgres store: ${setting.what} (SQLSTATE ${String(code)}: ${message})`, { cause: err, hint: setting.hint });
  }
  if (
    (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)
  ) {
    throw new TajoError('TAJO_STORE_UNAVAILABLE', `State store is unavailable (${typeof code === 'string' ? code : 'connection'})`, { cause: err });
  }
  throw err;
}

/** A pg pool with error mapping, named (server-side prepared) statements and a transaction helper. */
export class PgDb {
  readonly pool: pg.Pool;

  constructor(connectionString: string, opts: PgDbOptions = {}) {
    this.pool = new pg.Pool({ connectionString, max: opts.max ?? 10, connectionTimeoutMillis: opts.connectionTimeoutMs ?? 10_000, types });
    // An idle client losing its connection must not crash the process; the next query reports it.
    this.pool.on('error', () => undefined);
    // Nor a checked-out one (a transaction between statements, a Postgres restart): the pool stops listening while a
    // client is out, so its 'error' event had no listener. The statement in flight fails (mapped to
    // TAJO_STORE_UNAVAILABLE) and the broken client is dropped when released.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  async query<R>(sql: string, params: unknown[] = [], on: Queryable = this.pool): Promise<R[]> {
    return (await this.run(sql, params, on)).rows as R[];
  }

  async count(sql: string, params: unknown[], on: Queryable = this.pool): Promise<number> {
    return (await this.run(sql, params, on)).rowCount ?? 0;
  }

  /** One statement (named: prepared once per connection). */
  private async run(sql: string, params: unknown[], on: Queryable): Promise<pg.QueryResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await on.query({ name: statementName(sql), text: sql, values: params });
      } catch (err) {
        // A statement of its own (autocommit) that lost a deadlock is run again; inside a transaction `tx` retries.
        if (on === this.pool) {
          if (attempt < RETRIES && isRetryable(err)) {
            await backoff(attempt);
            continue;
          }
          mapPgError(err);
        }
        throw mapOrRaw(err);
      }
    }
  }

  /**
   * Runs `fn` in a transaction. A deadlock or serialization failure (several replicas writing overlapping keys in
   * different orders) rolled everything back, so the whole body runs again, up to 4 times: bodies hold no state
   * outside the database.
   */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.txOnce(fn);
      } catch (err) {
        const raw = err instanceof TajoError ? err.cause : err;
        if (attempt < RETRIES && isRetryable(raw)) {
          await backoff(attempt);
          continue;
        }
        throw err;
      }
    }
  }

  private async txOnce<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      mapPgError(err);
    }
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      mapPgError(err);
    } finally {
      client.release();
    }
  }

  async appliedMigrations(on: Queryable = this.pool): Promise<number[]> {
    const [exists] = await this.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t", [], on);
    if (!exists?.t) return [];
    return (await this.query<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id', [], on)).map((r) => r.id);
  }

  /** Applies pending migrations in one transaction under `pg_advisory_xact_lock`: concurrent starters queue, then find them applied. */
  async migrate(migrations: readonly Migration[]): Promise<number[]> {
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK]);
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)');
      const done: number[] = [];
      for (const m of pendingMigrations(migrations, await this.appliedMigrations(c))) {
        try {
          await c.query(m.sql);
        } catch (err) {
          const code = (err as { code?: string }).code ?? '';
          if (UNAVAILABLE_SQLSTATE.test(code)) throw err;
          throw migrationFailed(m, err);
        }
        await c.query('INSERT INTO schema_migrations (id, name, applied_at) VALUES ($1, $2, $3)', [m.id, m.name, new Date().toISOString()]);
        done.push(m.id);
      }
      return done;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const names = new Map<string, string>();
/** A stable name per SQL text, so pg prepares each statement once per connection. */
function statementName(sql: string): string {
  let n = names.get(sql);
  if (!n) {
    n = `tajo_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    names.set(sql, n);
  }
  return n;
}
