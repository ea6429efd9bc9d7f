/**
 * Event Streams batch rows copied from SQLite (`tajo migrate --from sqlite` of a data dir whose `tajo serve` stored
 * deliveries no claim took yet). SQLite's webhook writer stores such a row without registering its events' keys
 * (they go into `inbox_keys` at claim), so Postgres's claim must register them and flag repeats as SQLite's does:
 * otherwise an event repeated in another copied row, or delivered again later, is processed twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonBatchSpec } from '../../core/jsonBatch.js';
import { SqliteStore } from '../sqlite/sqliteStore.js';
import type { Store } from '../store.js';
import { copySqliteToPostgres } from './importSqlite.js';
import { PostgresStore } from './postgresStore.js';
import { createTestDatabase, postgresAvailable, TEST_DATABASE_URL } from './test-helpers/testDatabase.js';

const available = await postgresAvailable();
if (!available) console.warn(`Postgres copied-batch-row tests skipped: no server at ${new URL(TEST_DATABASE_URL).host}`);

const spec: JsonBatchSpec = { keyField: 'id', typeField: 'type', required: [['id', 64], ['type', 64]], optional: [], fallbackTypes: ['test'], maxItems: 100 };
const ev = (id: string) => ({ id, type: 'com.twilio.taskrouter.task.completed', data: { payload: { task_sid: `WT-${id}` } } });
const body = (...ids: string[]) => Buffer.from(JSON.stringify(ids.map(ev)));

/** Every claimable item as [key, duplicate], claimed twice (the second time after the lease: rows find their own keys). */
async function claimAll(s: Store): Promise<{ first: [string, boolean][]; again: [string, boolean][] }> {
  const claim = async (nowMs: number) =>
    (await s.claimInbox({ workerId: 'w', limit: 100, leaseMs: 1000, nowMs })).map((i): [string, boolean] => [i.key, i.duplicate === true]);
  const now = Date.now();
  return { first: await claim(now), again: await claim(now + 60_000) };
}

describe.runIf(available)('postgres: batch inbox rows copied from SQLite', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const dir = mkdtempSync(join(tmpdir(), 'tajo-copied-batches-'));
  const file = join(dir, 'tajo.db');
  beforeAll(async () => {
    db = await createTestDatabase();
    const s = await SqliteStore.open(file);
    try {
      // two deliveries sharing CE2 (an Event Streams retry), stored before any claim: both rows hold it
      expect(await s.ingestJsonBatch!(body('CE1', 'CE2'), 'event-streams', spec)).toEqual({ accepted: 2, duplicates: 0 });
      expect(await s.ingestJsonBatch!(body('CE2', 'CE3'), 'event-streams', spec)).toEqual({ accepted: 2, duplicates: 0 });
      // into the inbox from the journal, as the next claim would (before the lone copy below, as they arrived)
      expect(s.importInboxJournal()).toMatchObject({ deliveries: 2, items: 4 });
      // a lone copy of CE1 (the main-thread path): its key is not registered yet either
      expect(await s.ingest([{ key: 'CE1', source: 'event-streams', payload: ev('CE1') }])).toMatchObject({ accepted: 1 });
    } finally {
      await s.close();
    }
    await copySqliteToPostgres({ sqliteFile: file, postgresUrl: db.url });
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('claims each event once, flags its repeats as SQLite does, and dedupes a later delivery of a copied event', async () => {
    const sqlite = await SqliteStore.open(join(dir, 'tajo.db'));
    const pg = await PostgresStore.open(db.url, { max: 2 });
    try {
      const expected: [string, boolean][] = [['CE1', false], ['CE2', false], ['CE2', true], ['CE3', false], ['CE1', true]];
      const got = await claimAll(pg);
      expect(got.first).toEqual(expected);
      expect(got.again).toEqual(expected);
      // the same as SQLite's claim of the file the copy came from
      expect(await claimAll(sqlite)).toEqual(got);
      // Event Streams delivers CE3 again, alone: acknowledged as a duplicate, nothing stored
      expect(await pg.ingest([{ key: 'CE3', source: 'event-streams', payload: ev('CE3') }])).toMatchObject({ accepted: 0, duplicates: 1 });
      expect(await sqlite.ingest([{ key: 'CE3', source: 'event-streams', payload: ev('CE3') }])).toMatchObject({ accepted: 0, duplicates: 1 });
    } finally {
      await sqlite.close();
      await pg.close();
    }
  });

  it('a key another replica registers while this claim waits on it is that replica\'s: the item is a duplicate here', async () => {
    const store = await PostgresStore.open(db.url, { max: 2 });
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query(`INSERT INTO inbox (key, source, payload, status, received_at, item_keys)
        VALUES ('batch:copied:1', 'event-streams', $1, 'pending', '2026-11-20T12:00:00.000Z', '["CE9"]')`, [JSON.stringify([ev('CE9')])]);
      // the other replica's claim of another row holding CE9, not committed yet
      await other.query('BEGIN');
      await other.query("INSERT INTO inbox_keys (key, inbox_id) VALUES ('CE9', 999999)");
      const claim = store.claimInbox({ workerId: 'w', limit: 100, leaseMs: 1000, nowMs: Date.now() + 120_000 });
      await new Promise((r) => setTimeout(r, 300));
      await other.query('COMMIT');
      const items = await claim;
      expect(items.filter((i) => i.key === 'CE9').map((i) => i.duplicate === true)).toEqual([true]);
    } finally {
      await other.end();
      await store.close();
    }
  });
});
