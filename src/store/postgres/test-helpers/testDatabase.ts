/**
 * One database per test file, cloned from a migrated template (graphile-worker's createTestDatabase).
 * The template is named after a hash of the migrations, so a changed migration builds a new one.
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { POSTGRES_MIGRATIONS } from '../migrations.js';
import { PostgresStore } from '../postgresStore.js';

export const TEST_DATABASE_URL = process.env.TAJO_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TEMPLATE_LOCK = '7302164190343222';

export function databaseUrl(name: string): string {
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Whether the test server answers (suites skip, loudly, when it does not). */
export async function postgresAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates `tajo_test_<random>` from the migrated template; returns its URL and a drop function. */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const hash = createHash('sha1').update(POSTGRES_MIGRATIONS.map((m) => m.sql).join('\n')).digest('hex').slice(0, 10);
  const template = `tajo_tpl_${hash}`;
  const name = `tajo_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(async (c) => {
    await c.query('SELECT pg_advisory_lock($1::bigint)', [TEMPLATE_LOCK]);
    try {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (!exists.rowCount) {
        await c.query(`CREATE DATABASE ${ident(template)}`);
        const store = await PostgresStore.open(databaseUrl(template), { max: 1 });
        await store.close();
      }
      await c.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(template)}`);
    } finally {
      await c.query('SELECT pg_advisory_unlock($1::bigint)', [TEMPLATE_LOCK]);
    }
  });
  return { url: databaseUrl(name), name, drop: () => withAdmin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`))) };
}

/** Empties every table except schema_migrations (between tests of one file). */
export async function truncateAll(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ t: string }>(
      "SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'");
    // DELETE is much faster than TRUNCATE on a handful of tiny tables; ids keep growing, which tests must not rely on.
    if (rows.length) await c.query(rows.map((r) => `DELETE FROM ${ident(r.t)};`).join('\n'));
  } finally {
    await c.end();
  }
}

/** A fresh, empty database (no migrations) for migration tests. */
export async function createEmptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tajo_empty_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(async (c) => void (await c.query(`CREATE DATABASE ${ident(name)}`)));
  return { url: databaseUrl(name), drop: () => withAdmin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`))) };
}
